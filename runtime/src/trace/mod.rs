//! Distributed tracing: one call's W3C Trace Context (`traceparent`,
//! `tracestate`) travels on every hop, and when `OTEL_EXPORTER_OTLP_ENDPOINT`
//! is set every service's `tracing` spans become OpenTelemetry spans of that
//! trace (through `tracing-opentelemetry`), exported over OTLP/HTTP.
//!
//! Each server sets the context of the call it serves ([`Current`]) once;
//! what sends the call on, the answer and the log lines read it there.
//! Where the context is read and written:
//! - HTTP: [`http_request`], the middleware of every actix-web server
//!   ([`crate::http::bind_server`]); clients write it with [`inject_http`].
//! - gRPC: [`grpc_request`], read by the layer of every tonic server
//!   (`crate::grpc`); clients write the metadata with [`inject_http`].
//! - tarpc: its request context carries the trace and span ids (not
//!   `tracestate`); servers read it in `crate::rpc::Traced`, and tarpc reads
//!   an exported span's itself (otherwise the client sets [`tarpc_parent`]).
//! - AMQP: the message headers (`crate::amqp::{HeaderReader, HeaderWriter}`;
//!   deliveries continue their trace in `crate::amqp::consume`).
//!
//! Every log line written while serving a call names its `trace_id`
//! (`crate::telemetry`).

mod context;
mod servers;

pub use context::{Current, Parent, Scoped, carry};
pub use servers::{grpc_request, http_request, set_call};

use std::{
    sync::{
        OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use opentelemetry::{
    propagation::{Extractor, Injector},
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TracerProvider as _},
};
use opentelemetry_sdk::{
    Resource,
    trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider},
};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The W3C header (and metadata key, and AMQP header) naming a call's trace and
/// its parent span.
pub const TRACEPARENT: &str = "traceparent";
/// The W3C header (and metadata key, and AMQP header) carrying vendors' trace state.
pub const TRACESTATE: &str = "tracestate";
/// [`TRACEPARENT`] as a header name, made once at compile time (at run time
/// `from_static` checks every byte, and a lookup by `&str` parses the name).
const TRACEPARENT_NAME: http::HeaderName = http::HeaderName::from_static(TRACEPARENT);
/// [`TRACESTATE`] as a header name (see [`TRACEPARENT_NAME`]).
const TRACESTATE_NAME: http::HeaderName = http::HeaderName::from_static(TRACESTATE);
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
/// Whether spans are exported (only ever set: a second subscriber in the same
/// process is not installed, and the first one may export).
static EXPORTED: AtomicBool = AtomicBool::new(false);

/// The OpenTelemetry layer of `service`'s subscriber when spans are exported
/// (`None` otherwise). Marks tracing enabled unless it is [`Export::Disabled`]:
/// install the layer it returns.
pub fn layer<S>(
    service: &'static str,
    export: &Export,
) -> anyhow::Result<
    Option<tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>>,
>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    let otlp = match export {
        Export::Disabled => return Ok(None),
        // Spans that go nowhere are not made: each call keeps its trace and
        // span ids ([`Current`]: log lines, answers and the next hop get them)
        // without `tracing` spans for them, or an OpenTelemetry layer.
        Export::Nowhere => {
            ENABLED.store(true, Ordering::Relaxed);
            return Ok(None);
        }
        Export::Otlp(otlp) => otlp,
    };
    let provider = SdkTracerProvider::builder()
        .with_resource(resource(service))
        .with_span_processor(batches(otlp)?);
    EXPORTED.store(true, Ordering::Relaxed);
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

/// The span of a call a server received (`make`) when spans are exported,
/// `Span::none()` otherwise: a span that goes nowhere is not made, the log
/// lines name the call's trace from its context ([`Current`]).
pub fn server_span(make: impl FnOnce() -> Span) -> Span {
    if exported() { make() } else { Span::none() }
}

/// Whether spans leave the process: what only the exported span needs (its
/// attributes, a name made for it) is not worth making otherwise.
pub fn exported() -> bool {
    EXPORTED.load(Ordering::Relaxed)
}

/// The context of a call a server received: continues the trace whose
/// `traceparent` `carrier` holds, or starts one. When spans are exported it is
/// `span`'s (not yet entered), made a child of the caller's; otherwise `span`
/// is not needed (`Span::none()`) and the context is all there is. `None` when
/// tracing is off.
pub fn continue_from(span: &Span, carrier: &dyn Extractor) -> Option<Current> {
    if !enabled() {
        return None;
    }
    let parent = carrier.get(TRACEPARENT).and_then(Parent::parse);
    let state = parent
        .and(carrier.get(TRACESTATE))
        .and_then(context::trace_state);
    if !exported() {
        return Some(Current::child_of(parent, state.as_ref()));
    }
    if let Some(parent) = parent {
        let flags = if parent.sampled {
            TraceFlags::SAMPLED
        } else {
            TraceFlags::default()
        };
        let remote = SpanContext::new(
            TraceId::from_bytes(parent.trace_id.to_be_bytes()),
            SpanId::from_bytes(parent.span_id.to_be_bytes()),
            flags,
            true,
            state.unwrap_or_default(),
        );
        let _ = span.set_parent(opentelemetry::Context::new().with_remote_span_context(remote));
    }
    Current::of(span.context().span().span_context())
}

/// A span's W3C `traceparent`, formatted once: version `00`, the trace id, the
/// span's id (the next hop's parent) and the sampled flag.
#[derive(Debug, Clone, Copy)]
pub struct Traceparent([u8; 55]);

impl Traceparent {
    /// Of a trace, its span and the sampled flag.
    pub fn new(trace_id: u128, span_id: u64, sampled: bool) -> Self {
        let mut text = *b"00-00000000000000000000000000000000-0000000000000000-00";
        let parts = [
            hex::encode_to_slice(trace_id.to_be_bytes(), &mut text[3..35]),
            hex::encode_to_slice(span_id.to_be_bytes(), &mut text[36..52]),
            hex::encode_to_slice([u8::from(sampled)], &mut text[53..55]),
        ];
        debug_assert!(parts.iter().all(Result::is_ok), "the sizes match");
        Self(text)
    }

    /// The header's text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits, lowercase hex and dashes are ever written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// The trace id: 32 lowercase hex digits.
    pub fn trace_id(&self) -> &str {
        &self.as_str()[3..35]
    }

    /// As an HTTP header value (or gRPC metadata).
    pub fn header_value(&self) -> Option<http::HeaderValue> {
        http::HeaderValue::from_bytes(&self.0).ok()
    }
}

/// The id of the current call's trace (what a `/handle` answer carries, and
/// what log lines name), if it is traced.
pub fn current_trace_id() -> Option<String> {
    Current::with(|current| current.traceparent().trace_id().to_owned())
}

/// The trace context a call made now sends on: the current span's when spans
/// are exported (its parent is the span making the call), otherwise the
/// context of the call being served.
fn outgoing() -> Option<(Traceparent, Option<String>)> {
    if !enabled() {
        return None;
    }
    if !exported() {
        return Current::with(|current| {
            let state = current.trace_state().map(str::to_owned);
            (*current.traceparent(), state)
        });
    }
    let context = Span::current().context();
    let span = context.span();
    let current = Current::of(span.span_context())?;
    let state = current.trace_state().map(str::to_owned);
    Some((*current.traceparent(), state))
}

/// The trace and span ids (and the sampled flag) a tarpc call sends on, when
/// tarpc cannot find them itself: when spans are not exported (otherwise
/// tarpc reads them from the current span).
pub fn tarpc_parent() -> Option<(u128, u64, bool)> {
    if !enabled() || exported() {
        return None;
    }
    Current::with(Current::ids)
}

/// Writes the current call's trace context into HTTP headers or gRPC metadata
/// (`request.metadata_mut().as_mut()`): `traceparent`, and `tracestate` when
/// the trace has one (what `TraceContextPropagator` writes, formatted once).
pub fn inject_http(headers: &mut http::HeaderMap) {
    let Some((own, state)) = outgoing() else {
        return;
    };
    if let Some(mut value) = own.header_value() {
        // A value unique to each call: HTTP/2 (gRPC) sends it as a literal
        // never indexed, rather than into HPACK's table, where it would only
        // push out the headers that repeat (and cost a table update per call).
        value.set_sensitive(true);
        headers.insert(TRACEPARENT_NAME, value);
    }
    if let Some(state) = state.and_then(|state| http::HeaderValue::from_str(&state).ok()) {
        headers.insert(TRACESTATE_NAME, state);
    }
}

/// Writes the current call's trace context with `set` (for carriers of other kinds).
pub fn inject(carrier: &mut dyn Injector) {
    if let Some((own, state)) = outgoing() {
        carrier.set(TRACEPARENT, own.as_str().to_owned());
        if let Some(state) = state {
            carrier.set(TRACESTATE, state);
        }
    }
}

/// HTTP headers (http 1: reqwest, tonic) as a carrier to read.
pub struct HeaderReader<'a>(pub &'a http::HeaderMap);

impl Extractor for HeaderReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        let value = match key {
            TRACEPARENT => self.0.get(TRACEPARENT_NAME),
            TRACESTATE => self.0.get(TRACESTATE_NAME),
            _ => self.0.get(key),
        };
        value?.to_str().ok()
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::propagation::TextMapPropagator;
    use opentelemetry_sdk::propagation::TraceContextPropagator;

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

    /// What `TraceContextPropagator` writes for `context`.
    fn propagated(context: &SpanContext) -> std::collections::HashMap<String, String> {
        let mut written = std::collections::HashMap::new();
        let context = opentelemetry::Context::new().with_remote_span_context(context.clone());
        TraceContextPropagator::new().inject_context(&context, &mut written);
        written
    }

    #[test]
    fn a_traceparent_is_written_as_the_propagator_writes_it() {
        use opentelemetry::trace::{SpanId, TraceId, TraceState};
        let state = TraceState::from_key_value([("vendor", "v1")]).expect("a trace state");
        for (flags, state) in [
            (TraceFlags::SAMPLED, TraceState::default()),
            (TraceFlags::default(), state),
        ] {
            let context = SpanContext::new(
                TraceId::from_hex("04bf92f3577b34da6a3ce929d0e0e473").expect("a trace id"),
                SpanId::from_hex("00f067aa0ba902b7").expect("a span id"),
                flags,
                true,
                state,
            );
            let current = Current::of(&context).expect("a valid context");
            let own = current.traceparent();
            let written = propagated(&context);
            assert_eq!(
                Some(own.as_str()),
                written.get(TRACEPARENT).map(String::as_str)
            );
            assert_eq!(own.trace_id(), "04bf92f3577b34da6a3ce929d0e0e473");
            let mut ours = std::collections::HashMap::new();
            ours.insert(TRACEPARENT.to_owned(), own.as_str().to_owned());
            if let Some(state) = current.trace_state() {
                ours.insert(TRACESTATE.to_owned(), state.to_owned());
            }
            let theirs: std::collections::HashMap<_, _> =
                written.into_iter().filter(|(_, v)| !v.is_empty()).collect();
            assert_eq!(ours, theirs);
        }
        assert!(Current::of(&SpanContext::empty_context()).is_none());
    }
}
