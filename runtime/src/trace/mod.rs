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
//!
//! ## Layout
//! - `export`: whether calls are traced and where spans go ([`Export`],
//!   [`layer`], [`shutdown`]).
//! - `context`: the context of the call a task serves ([`Current`], [`Parent`]).
//! - `servers`: a received call's context ([`continue_from`]) and span, on
//!   every server ([`http_request`], [`grpc_request`]).
//! - `outgoing`: the context a call made now sends on ([`inject_http`],
//!   [`inject`], [`tarpc_parent`]).
//! - Here: the two headers' names and [`Traceparent`], the header formatted once.

mod context;
mod export;
mod outgoing;
mod servers;

pub use context::{Current, Parent, Scoped, carry};
pub use export::{
    ENV_OTLP_ENDPOINT, ENV_OTLP_TRACES_ENDPOINT, ENV_SDK_DISABLED, ENV_SERVICE_NAME, Export, Otlp,
    enabled, exported, layer, server_span, shutdown,
};
pub use outgoing::{inject, inject_http, tarpc_parent};
pub use servers::{
    HeaderReader, batched_call, continue_from, grpc_request, http_request, serve_in, set_call,
};

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

#[cfg(test)]
mod tests {
    use opentelemetry::{
        propagation::TextMapPropagator,
        trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState},
    };
    use opentelemetry_sdk::propagation::TraceContextPropagator;

    use super::*;

    /// What `TraceContextPropagator` writes for `context`.
    fn propagated(context: &SpanContext) -> std::collections::HashMap<String, String> {
        use opentelemetry::trace::TraceContextExt;
        let mut written = std::collections::HashMap::new();
        let context = opentelemetry::Context::new().with_remote_span_context(context.clone());
        TraceContextPropagator::new().inject_context(&context, &mut written);
        written
    }

    #[test]
    fn a_traceparent_is_written_as_the_propagator_writes_it() {
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
