//! The subscriber's log lines, read back.

use std::sync::{Arc, Mutex};

use super::*;

/// Log lines written into a shared buffer.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("buffer").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// A call of the caller's trace, served in its context.
fn serving<R>(f: impl FnOnce() -> R) -> R {
    let parent = crate::trace::Parent::parse(TRACEPARENT);
    crate::trace::Current::child_of(parent, None).sync_scope(f)
}

#[test]
fn call_spans_are_not_made_when_spans_go_nowhere_and_lines_name_the_call() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let lines = json_lines()
        .with_writer(move || writer.clone())
        .with_filter(EnvFilter::new("debug").and(without_call_spans()));
    let (layers, error) = layers("tests", &Export::Nowhere, lines.boxed());
    assert!(error.is_none(), "{error:?}");
    assert_eq!(layers.len(), 1, "no span layer when spans go nowhere");
    let subscriber = tracing_subscriber::registry().with(layers);
    tracing::subscriber::with_default(subscriber, || {
        serving(|| {
            let call = tracing::info_span!(target: CALL_SPANS, "worker call", worker = "logger");
            assert!(
                call.is_disabled(),
                "a call span that goes nowhere is not made"
            );
            call.in_scope(|| tracing::info!("inside the call"));
        });
        tracing::info!("outside any call");
    });
    let text = String::from_utf8(buffer.0.lock().expect("buffer").clone()).expect("utf-8");
    assert!(!text.contains("worker call"), "{text}");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert_eq!(lines[0]["fields"]["message"], "inside the call");
    assert_eq!(lines[0]["trace_id"], TRACE_ID, "{text}");
    assert_eq!(lines[1]["fields"]["message"], "outside any call");
    assert!(lines[1].get("trace_id").is_none(), "{text}");
}

#[test]
fn pretty_lines_keep_the_span_fields_but_not_the_otel_ones_and_name_the_call() {
    let buffer = Buffer::default();
    let writer = buffer.clone();
    let lines = fmt::layer()
        .with_ansi(false)
        .fmt_fields(LineFields)
        .map_event_format(|format| WithTraceId::pretty(format.with_ansi(false)))
        .with_writer(move || writer.clone());
    let subscriber = tracing_subscriber::registry().with(lines);
    tracing::subscriber::with_default(subscriber, || {
        let span = tracing::info_span!(
            "compare",
            otel.name = "compare",
            otel.kind = "internal",
            action = "log",
        );
        serving(|| span.in_scope(|| tracing::info!(transport = "grpc", "dispatched")));
    });
    let text = String::from_utf8(buffer.0.lock().expect("buffer").clone()).expect("utf-8");
    assert!(!text.contains("otel."), "{text}");
    assert!(!text.contains('\u{1b}'), "no colour codes: {text}");
    for part in [
        "compare{action=\"log\"}",
        &format!("dispatched transport=\"grpc\" trace_id={TRACE_ID}\n"),
    ] {
        assert!(text.contains(part), "{part} in {text}");
    }
}
