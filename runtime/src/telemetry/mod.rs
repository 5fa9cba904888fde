//! One `tracing` subscriber setup for every service: log lines (pretty or JSON),
//! each naming the `trace_id` of the call it was written for, and the
//! OpenTelemetry spans of [`crate::trace`].
//!
//! ## Layout
//! - Here: installing the subscriber ([`init`], [`install`], [`init_for_tests`],
//!   [`install_capture`]) and which spans it makes ([`CALL_SPANS`]).
//! - `lines`: the text of a log line ([`WithTraceId`], the pretty lines' fields).

mod lines;
#[cfg(test)]
mod tests;

pub use lines::WithTraceId;

use std::io::IsTerminal;

use tracing_subscriber::{
    EnvFilter, Layer, Registry,
    filter::{FilterExt, FilterFn, LevelFilter},
    fmt::{
        self,
        format::{Json, JsonFields},
    },
    prelude::*,
    registry::LookupSpan,
};

use self::lines::LineFields;
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
