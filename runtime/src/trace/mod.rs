//! Distributed tracing: one call's W3C Trace Context (`traceparent`,
//! `tracestate`) travels on every hop, and every service's `tracing` spans
//! become OpenTelemetry spans of that trace (through `tracing-opentelemetry`),
//! exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
//!
//! Where the context is read and written:
//! - HTTP: [`http_request`], the middleware of every actix-web server
//!   ([`crate::http::bind_server`]); clients write it with [`inject_http`].
//! - gRPC: [`grpc_request`], the span a tonic server opens per call
//!   (`Server::trace_fn`); clients write the metadata with [`inject_http`].
//! - tarpc: tarpc itself (its request context carries the trace and span ids,
//!   and it is built on the same OpenTelemetry crates; `tracestate` is not carried).
//! - AMQP: the message headers (`crate::amqp::{HeaderReader, HeaderWriter}`;
//!   deliveries continue their trace in `crate::amqp::consume`).
//!
//! Each server span has a `trace_id` field (tarpc's own span: `rpc.trace_id`), so
//! every log line written while serving a call names its trace.

mod servers;

pub use servers::{grpc_request, http_request, set_call};

use std::{
    sync::{
        OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use opentelemetry::{
    propagation::{Extractor, Injector, TextMapPropagator},
    trace::{TraceContextExt, TracerProvider as _},
};
use opentelemetry_sdk::{
    Resource,
    propagation::TraceContextPropagator,
    trace::{BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider},
};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The W3C header (and metadata key, and AMQP header) naming a call's trace and
/// its parent span.
pub const TRACEPARENT: &str = "traceparent";
/// Env var: `true` turns tracing off (the OpenTelemetry SDK's standard switch).
pub const ENV_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
/// Env var: where spans are exported (OTLP/HTTP base URL; `/v1/traces` is appended).
pub const ENV_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// Env var: the full URL spans are exported to (wins over [`ENV_OTLP_ENDPOINT`]).
pub const ENV_OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// Env var: the service name spans carry (default: the service's own name).
pub const ENV_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";

/// What a process does with its spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Export {
    /// No tracing ([`ENV_SDK_DISABLED`]): no context is read or sent, and answers
    /// carry no trace id.
    Disabled,
    /// Trace context and ids on every call, nothing exported or buffered (no
    /// endpoint set).
    Nowhere,
    /// Batches of spans sent over OTLP/HTTP.
    Otlp(Otlp),
}

/// Where and how spans are sent; what is not said here, the standard
/// `OTEL_EXPORTER_OTLP_*` and `OTEL_BSP_*` variables say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Otlp {
    /// The full URL spans are posted to.
    pub url: Option<String>,
    /// OTLP's JSON encoding instead of the protocol the environment names
    /// (`OTEL_EXPORTER_OTLP_PROTOCOL`, protobuf by default).
    pub json: bool,
    /// The longest a finished span waits to be sent.
    pub delay: Option<Duration>,
}

impl Export {
    /// From the standard OpenTelemetry variables.
    pub fn from_env() -> Self {
        let set = |name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
        let disabled = std::env::var(ENV_SDK_DISABLED).is_ok_and(|v| v.trim() == "true");
        if disabled {
            Export::Disabled
        } else if set(ENV_OTLP_ENDPOINT) || set(ENV_OTLP_TRACES_ENDPOINT) {
            Export::Otlp(Otlp::default())
        } else {
            Export::Nowhere
        }
    }
}

/// The process's tracer provider, kept to flush it on shutdown.
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();
/// Whether the OpenTelemetry layer is installed (nothing to read or write otherwise).
static ENABLED: AtomicBool = AtomicBool::new(false);

/// The OpenTelemetry layer of `service`'s subscriber, `None` when tracing is
/// [`Export::Disabled`]. Marks tracing enabled: install the layer it returns.
pub fn layer<S>(
    service: &'static str,
    export: &Export,
) -> anyhow::Result<
    Option<tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>>,
>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    let mut provider = SdkTracerProvider::builder().with_resource(resource(service));
    match export {
        Export::Disabled => return Ok(None),
        // Spans that go nowhere are not recorded: each keeps its trace and span
        // ids (log lines, answers and the next hop get them) but builds no span
        // data, and the context sent on says "not sampled", which is true.
        Export::Nowhere => provider = provider.with_sampler(Sampler::AlwaysOff),
        Export::Otlp(otlp) => provider = provider.with_span_processor(batches(otlp)?),
    }
    let provider = provider.build();
    let tracer = provider.tracer(service);
    // A second service in the same process (tests) shares the first one's.
    let _ = PROVIDER.set(provider);
    ENABLED.store(true, Ordering::Relaxed);
    // Without the time between a span's polls, its thread and its code
    // location: fewer clock reads and attributes per span (the span names say
    // where they are). Without activating each span's OpenTelemetry context on
    // every poll: what reads the context here (our carriers, tarpc) asks the
    // `tracing` span for it.
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_context_activation(false)
        .with_tracked_inactivity(false)
        .with_threads(false)
        .with_location(false);
    Ok(Some(layer))
}

fn resource(service: &'static str) -> Resource {
    let builder = Resource::builder();
    if std::env::var_os(ENV_SERVICE_NAME).is_some() {
        builder.build()
    } else {
        builder.with_service_name(service).build()
    }
}

fn batches(otlp: &Otlp) -> anyhow::Result<BatchSpanProcessor> {
    use opentelemetry_otlp::{Protocol, WithExportConfig};
    let mut exporter = opentelemetry_otlp::SpanExporter::builder().with_http();
    if let Some(url) = &otlp.url {
        exporter = exporter.with_endpoint(url);
    }
    if otlp.json {
        exporter = exporter.with_protocol(Protocol::HttpJson);
    }
    let exporter = exporter.build()?;
    let mut config = BatchConfigBuilder::default();
    if let Some(delay) = otlp.delay {
        config = config.with_scheduled_delay(delay);
    }
    Ok(BatchSpanProcessor::builder(exporter)
        .with_batch_config(config.build())
        .build())
}

/// Sends the spans still waiting and stops exporting (a service's last step;
/// the exporter's blocking I/O runs off the runtime, at most its timeout).
pub async fn shutdown() {
    let Some(provider) = PROVIDER.get() else {
        return;
    };
    let flushed = tokio::task::spawn_blocking(|| provider.shutdown()).await;
    if let Ok(Err(error)) = flushed {
        tracing::warn!(%error, "could not send the last spans");
    }
}

/// Whether calls are traced in this process.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Makes `span` (not yet entered) continue the trace whose context `carrier`
/// holds, if it holds one, and records the trace id in its `trace_id` field.
pub fn continue_from(span: &Span, carrier: &dyn Extractor) {
    if !enabled() {
        return;
    }
    let parent = TraceContextPropagator::new().extract(carrier);
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
    if let Some(id) = trace_id(span) {
        span.record("trace_id", id);
    }
}

/// The id of `span`'s trace (32 hex digits), if it is traced.
pub fn trace_id(span: &Span) -> Option<String> {
    let context = span.context();
    let span_context = context.span().span_context().clone();
    span_context
        .is_valid()
        .then(|| span_context.trace_id().to_string())
}

/// The id of the current span's trace (what a `/handle` answer carries).
pub fn current_trace_id() -> Option<String> {
    enabled().then(|| trace_id(&Span::current())).flatten()
}

/// `span`'s `traceparent` (its trace, itself as the parent, its flags).
pub fn traceparent(span: &Span) -> Option<String> {
    let mut fields = Fields::default();
    TraceContextPropagator::new().inject_context(&span.context(), &mut fields);
    fields.traceparent
}

/// Writes the current span's trace context into HTTP headers or gRPC metadata
/// (`request.metadata_mut().as_mut()`).
pub fn inject_http(headers: &mut http::HeaderMap) {
    if enabled() {
        let context = Span::current().context();
        TraceContextPropagator::new().inject_context(&context, &mut HeaderWriter(headers));
    }
}

/// Writes the current span's trace context with `set` (for carriers of other kinds).
pub fn inject(carrier: &mut dyn Injector) {
    if enabled() {
        TraceContextPropagator::new().inject_context(&Span::current().context(), carrier);
    }
}

/// Only the `traceparent` of an injected context.
#[derive(Default)]
struct Fields {
    traceparent: Option<String>,
}

impl Injector for Fields {
    fn set(&mut self, key: &str, value: String) {
        if key == TRACEPARENT {
            self.traceparent = Some(value);
        }
    }
}

/// HTTP headers (http 1: reqwest, tonic) as a carrier to read.
pub struct HeaderReader<'a>(pub &'a http::HeaderMap);

impl Extractor for HeaderReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)?.to_str().ok()
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct HeaderWriter<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderWriter<'_> {
    fn set(&mut self, key: &str, value: String) {
        let name = http::HeaderName::from_bytes(key.as_bytes());
        if let (Ok(name), Ok(value)) = (name, http::HeaderValue::from_str(&value)) {
            self.0.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_traceparent_is_read_from_http_headers() {
        let mut headers = http::HeaderMap::new();
        let value = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        headers.insert(TRACEPARENT, value.parse().expect("a header value"));
        let context = TraceContextPropagator::new().extract(&HeaderReader(&headers));
        let span = context.span();
        let span_context = span.span_context();
        assert_eq!(
            span_context.trace_id().to_string(),
            "4bf92f3577b34da6a3ce929d0e0e4736"
        );
        assert_eq!(span_context.span_id().to_string(), "00f067aa0ba902b7");
        assert!(span_context.is_remote());
    }
}
