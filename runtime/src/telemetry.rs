//! One `tracing` subscriber setup for every service: log lines (pretty or JSON)
//! and the OpenTelemetry spans of [`crate::trace`].

use std::io::IsTerminal;

use tracing::field::{Field, Visit};
use tracing_subscriber::{
    EnvFilter, Layer, Registry,
    field::{MakeVisitor, VisitFmt, VisitOutput},
    filter::{FilterExt, FilterFn, LevelFilter},
    fmt::{self, format::Writer},
    prelude::*,
};

use crate::trace::Export;

/// Environment variable choosing the log format: `json` or `pretty` (default).
pub const ENV_LOG_FORMAT: &str = "LOG_FORMAT";

/// Env var: set (to anything) to see the services' logs while tests run.
pub const ENV_TEST_LOG: &str = "TEST_LOG";

/// The target of the spans inside a worker's call: the call itself
/// ([`crate::metrics::worker_call`]) and its wait on a dependency
/// ([`crate::timing::dependency`]). They are the trace's, not the log lines':
/// a log line names the server span (its `trace_id`), and when spans go nowhere
/// no layer wants these, so `tracing` does not make them at all.
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
        fmt::layer()
            .with_target(false)
            .with_ansi(std::io::stdout().is_terminal())
            .fmt_fields(LineFields)
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

/// One JSON object per line, with every span in scope and its fields, so a
/// line written while serving a call carries the `trace_id` of the call's
/// server span.
fn json_lines<S>() -> fmt::Layer<S, fmt::format::JsonFields, fmt::format::Format<fmt::format::Json>>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    fmt::layer()
        .json()
        .with_current_span(false)
        .with_span_list(true)
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
        // traces. Spans that go nowhere need only the ones that give the hops
        // their ids, not the call spans.
        Ok(Some(layer)) if matches!(export, Export::Otlp(_)) => {
            layers.push(layer.with_filter(LevelFilter::INFO).boxed());
            None
        }
        Ok(Some(layer)) => {
            let filter = LevelFilter::INFO.and(without_call_spans());
            layers.push(layer.with_filter(filter).boxed());
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

    #[test]
    fn call_spans_are_not_made_when_spans_go_nowhere_and_never_in_log_lines() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let lines = json_lines()
            .with_writer(move || writer.clone())
            .with_filter(EnvFilter::new("debug").and(without_call_spans()));
        let (layers, error) = layers("tests", &Export::Nowhere, lines.boxed());
        assert!(error.is_none(), "{error:?}");
        let subscriber = tracing_subscriber::registry().with(layers);
        tracing::subscriber::with_default(subscriber, || {
            let server = tracing::info_span!("gRPC request", trace_id = "4bf92f35");
            let _served = server.enter();
            let call = tracing::info_span!(target: CALL_SPANS, "worker call", worker = "logger");
            assert!(
                !server.is_disabled(),
                "the server span gives the hop its ids"
            );
            assert!(
                call.is_disabled(),
                "a call span that goes nowhere is not made"
            );
            call.in_scope(|| tracing::info!("inside the call"));
        });
        let text = String::from_utf8(buffer.0.lock().expect("buffer").clone()).expect("utf-8");
        assert!(text.contains("inside the call"), "{text}");
        assert!(
            text.contains("4bf92f35"),
            "the line names the server span: {text}"
        );
        assert!(!text.contains("worker call"), "{text}");
    }

    #[test]
    fn pretty_lines_keep_the_span_fields_but_not_the_otel_ones() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let lines = fmt::layer()
            .with_ansi(false)
            .fmt_fields(LineFields)
            .with_writer(move || writer.clone());
        let subscriber = tracing_subscriber::registry().with(lines);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "HTTP request",
                otel.name = "POST /handle",
                otel.kind = "server",
                trace_id = tracing::field::Empty,
                action = "log",
            );
            span.record("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736");
            span.in_scope(|| tracing::info!(transport = "grpc", "dispatched"));
        });
        let text = String::from_utf8(buffer.0.lock().expect("buffer").clone()).expect("utf-8");
        assert!(!text.contains("otel."), "{text}");
        assert!(!text.contains('\u{1b}'), "no colour codes: {text}");
        for part in [
            "HTTP request{action=\"log\" trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"}",
            "dispatched transport=\"grpc\"",
        ] {
            assert!(text.contains(part), "{part} in {text}");
        }
    }
}
