//! One `tracing` subscriber setup for every service: log lines (pretty or JSON)
//! and the OpenTelemetry spans of [`crate::trace`].

use tracing_subscriber::{EnvFilter, Layer, Registry, filter::LevelFilter, fmt, prelude::*};

use crate::trace::Export;

/// Environment variable choosing the log format: `json` or `pretty` (default).
pub const ENV_LOG_FORMAT: &str = "LOG_FORMAT";

/// Env var: set (to anything) to see the services' logs while tests run.
pub const ENV_TEST_LOG: &str = "TEST_LOG";

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
        fmt::layer().with_target(false).boxed()
    };
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
        .with_filter(EnvFilter::new("debug"));
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
    let mut layers = vec![lines];
    let spans_error = match crate::trace::layer(service, export) {
        // Spans are filtered apart from the log lines: RUST_LOG=warn keeps the traces.
        Ok(Some(layer)) => {
            layers.push(layer.with_filter(LevelFilter::INFO).boxed());
            None
        }
        Ok(None) => None,
        Err(error) => Some(error),
    };
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
