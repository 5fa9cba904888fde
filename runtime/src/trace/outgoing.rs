//! What a call made now sends on: the trace context of the call being served
//! (or of the current span, when spans are exported), written into the next
//! hop's carrier once.

use opentelemetry::{propagation::Injector, trace::TraceContextExt};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{
    Current, TRACEPARENT, TRACEPARENT_NAME, TRACESTATE, TRACESTATE_NAME, Traceparent, enabled,
    exported,
};

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
