//! One `tracing` subscriber setup for every service: log lines (pretty or JSON),
//! each naming the `trace_id` of the call it was written for, and the
//! OpenTelemetry spans of [`crate::trace`].

use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing_subscriber::{
    EnvFilter, Layer, Registry,
    field::{MakeVisitor, VisitFmt, VisitOutput},
    filter::{FilterExt, FilterFn, LevelFilter},
    fmt::{
        self, FmtContext, FormatEvent, FormatFields,
        format::{Json, JsonFields, Writer},
    },
    prelude::*,
    registry::LookupSpan,
};

use crate::trace::Export;

/// Environment variable choosing the log format: `json` or `pretty` (default).
pub const ENV_LOG_FORMAT: &str = "LOG_FORMAT";

/// Env var: set (to anything) to see the services' logs while tests run.
pub const ENV_TEST_LOG: &str = "TEST_LOG";

/// The target of the spans inside a worker's call: the call itself
/// ([`crate::metrics::worker_call`]) and its wait on a dependency
/// ([`crate::timing::dependency`]). They are the trace's, not the log lines'
/// (a log line names the call's `trace_id`, [`WithTraceId`]), and when spans
/// go nowhere no layer wants them, so `tracing` does not make them at all.
pub const CALL_SPANS: &str = "flexi_runtime::call";

/// A filter that lets everything through but the [`CALL_SPANS`].
fn without_call_spans() -> FilterFn<fn(&tracing::Metadata<'_>) -> bool> {
    FilterFn::new(|metadata| metadata.target() != CALL_SPANS)
}

/// For tests: installs the subscriber with traces as a service has them (ids,
/// context on every hop, nothing exported) and log lines only when `TEST_LOG`
/// is set, so a passing run stays quiet and a failing one can be re-run with logs.
pub fn init_for_tests() {
    let logs = std::env::var_os(ENV_TEST_LOG).is_some();
    install("tests", &Export::Nowhere, (!logs).then_some("off"));
}

/// Installs the global subscriber: log lines filtered by `RUST_LOG` (default
/// `info`) in the `LOG_FORMAT`, and spans exported as the OpenTelemetry
/// variables say ([`Export::from_env`]). Calling it again (as tests do) is harmless.
pub fn init(service: &'static str) {
    install(service, &Export::from_env(), None);
}

/// [`init`] with the spans' export given, and for tests a filter of the log
/// lines instead of `RUST_LOG` (`Some("off")`: no log lines). Returns whether
/// it installed the process's subscriber (`false`: one was installed before).
pub fn install(service: &'static str, export: &Export, log_filter: Option<&str>) -> bool {
    let filter = match log_filter {
        Some(directives) => EnvFilter::new(directives),
        None => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let json = std::env::var(ENV_LOG_FORMAT).is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let lines = if json {
        json_lines().boxed()
    } else {
        // Colours only on a terminal: not in log files, and no escape codes to
        // write for every span field.
        let ansi = std::io::stdout().is_terminal();
        fmt::layer()
            .with_target(false)
            .with_ansi(ansi)
            .fmt_fields(LineFields)
            .map_event_format(|format| WithTraceId::pretty(format.with_ansi(ansi)))
            .boxed()
    };
    let filter = filter.and(without_call_spans());
    install_with(service, export, lines.with_filter(filter).boxed())
}

/// For tests that read what was logged: the subscriber of [`install`] with
/// every line at DEBUG and above written as JSON (spans listed) to `writer`.
pub fn install_capture<W>(export: &Export, writer: W) -> bool
where
    W: for<'writer> fmt::MakeWriter<'writer> + Send + Sync + 'static,
{
    let lines = json_lines()
        .with_writer(writer)
        .with_filter(EnvFilter::new("debug").and(without_call_spans()));
    install_with("tests", export, lines.boxed())
}

/// One JSON object per line, with every span in scope and its fields, and the
/// `trace_id` of the call it was written for.
fn json_lines<S>() -> fmt::Layer<S, JsonFields, WithTraceId<fmt::format::Format<Json>>>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
{
    fmt::layer()
        .json()
        .with_current_span(false)
        .with_span_list(true)
        .map_event_format(WithTraceId::json)
}

/// A log line's format with the `trace_id` of the call being served added
/// ([`crate::trace::Current`]): at the end of a pretty line
/// (`trace_id=…`), as a top-level key of a JSON one. Lines written outside a
/// call are the inner format's.
pub struct WithTraceId<F> {
    inner: F,
    json: bool,
}

impl<F> WithTraceId<F> {
    fn pretty(inner: F) -> Self {
        Self { inner, json: false }
    }

    fn json(inner: F) -> Self {
        Self { inner, json: true }
    }
}

impl<S, N, F> FormatEvent<S, N> for WithTraceId<F>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    N: for<'writer> FormatFields<'writer> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let Some(own) = crate::trace::Current::with(|current| *current.traceparent()) else {
            return self.inner.format_event(ctx, writer, event);
        };
        let trace_id = own.trace_id();
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        let line = line.strip_suffix('\n').unwrap_or(&line);
        match line.strip_suffix('}') {
            Some(object) if self.json => writeln!(writer, "{object},\"trace_id\":\"{trace_id}\"}}"),
            _ => writeln!(writer, "{line} trace_id={trace_id}"),
        }
    }
}

/// Installs the log `lines` and the spans' layer.
fn install_with(
    service: &'static str,
    export: &Export,
    lines: Box<dyn Layer<Registry> + Send + Sync>,
) -> bool {
    let (layers, spans_error) = layers(service, export, lines);
    let installed = tracing_subscriber::registry()
        .with(layers)
        .try_init()
        .is_ok();
    if installed {
        tracing::info!(service, tracing = ?export, "telemetry initialised");
    }
    if let Some(error) = spans_error {
        tracing::error!(%error, "spans cannot be exported; the service runs without");
    }
    installed
}

/// The log `lines` and the spans' layer as `export` says, and why the spans
/// cannot be exported if they cannot.
fn layers(
    service: &'static str,
    export: &Export,
    lines: Box<dyn Layer<Registry> + Send + Sync>,
) -> (
    Vec<Box<dyn Layer<Registry> + Send + Sync>>,
    Option<anyhow::Error>,
) {
    let mut layers = vec![lines];
    let spans_error = match crate::trace::layer(service, export) {
        // Spans are filtered apart from the log lines: RUST_LOG=warn keeps the
        // traces. (Only exported spans have a layer: see `trace::layer`.)
        Ok(Some(layer)) => {
            layers.push(layer.with_filter(LevelFilter::INFO).boxed());
            None
        }
        Ok(None) => None,
        Err(error) => Some(error),
    };
    (layers, spans_error)
}

/// The fields of pretty log lines: tracing-subscriber's default format without
/// the `otel.*` fields, which only tell the OpenTelemetry layer a span's name
/// and kind (and would be formatted into every span's text for nothing).
struct LineFields;

impl<'a> MakeVisitor<Writer<'a>> for LineFields {
    type Visitor = WithoutOtel<fmt::format::DefaultVisitor<'a>>;

    fn make_visitor(&self, target: Writer<'a>) -> Self::Visitor {
        WithoutOtel(fmt::format::DefaultFields::new().make_visitor(target))
    }
}

/// A visitor that passes every field but the `otel.*` ones on to `V`.
struct WithoutOtel<V>(V);

fn otel_only(field: &Field) -> bool {
    field.name().starts_with("otel.")
}

impl<V: Visit> Visit for WithoutOtel<V> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !otel_only(field) {
            self.0.record_debug(field, value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if !otel_only(field) {
            self.0.record_str(field, value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if !otel_only(field) {
            self.0.record_error(field, value);
        }
    }
}

impl<V: VisitOutput<std::fmt::Result>> VisitOutput<std::fmt::Result> for WithoutOtel<V> {
    fn finish(self) -> std::fmt::Result {
        self.0.finish()
    }
}

impl<V: VisitFmt> VisitFmt for WithoutOtel<V> {
    fn writer(&mut self) -> &mut dyn std::fmt::Write {
        self.0.writer()
    }
}

#[cfg(test)]
mod tests {
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
                let call =
                    tracing::info_span!(target: CALL_SPANS, "worker call", worker = "logger");
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
}
