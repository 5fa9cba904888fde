//! What servers do with each request they receive: its context in the
//! caller's trace ([`super::Current`], [`continue_from`]) and, when spans are
//! exported, its span.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderMap as ActixMap, HeaderName as ActixName, HeaderValue},
    middleware::Next,
};
use opentelemetry::{
    propagation::Extractor,
    trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId},
};
use tracing::{Instrument, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{Current, Parent, TRACEPARENT, TRACESTATE, enabled, exported, server_span};

/// [`TRACEPARENT`] as actix-web's header name (http 0.2), made at compile time.
const ACTIX_TRACEPARENT: ActixName = ActixName::from_static(TRACEPARENT);
/// [`TRACESTATE`] as actix-web's header name.
const ACTIX_TRACESTATE: ActixName = ActixName::from_static(TRACESTATE);

/// A request's headers as a carrier to read: the trace's two headers by their
/// names made at compile time (a lookup by `&str` parses the name), any other
/// by its text. Once for each `http` version's header map.
macro_rules! header_reader {
    ($(#[$doc:meta])* $vis:vis $reader:ident($map:ty, $name:ty): $traceparent:expr, $tracestate:expr) => {
        $(#[$doc])*
        $vis struct $reader<'a>(pub &'a $map);

        impl Extractor for $reader<'_> {
            fn get(&self, key: &str) -> Option<&str> {
                let value = match key {
                    TRACEPARENT => self.0.get($traceparent),
                    TRACESTATE => self.0.get($tracestate),
                    _ => self.0.get(key),
                };
                value?.to_str().ok()
            }

            fn keys(&self) -> Vec<&str> {
                self.0.keys().map(<$name>::as_str).collect()
            }
        }
    };
}

header_reader!(
    /// HTTP headers (http 1: reqwest, tonic) as a carrier to read.
    pub HeaderReader(http::HeaderMap, http::HeaderName):
        super::TRACEPARENT_NAME, super::TRACESTATE_NAME
);
header_reader!(
    /// actix-web's request headers (http 0.2) as a carrier to read.
    ActixHeaders(ActixMap, ActixName):
        ACTIX_TRACEPARENT, ACTIX_TRACESTATE
);

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
        .and_then(super::context::trace_state);
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

/// Paths traced only when the caller sent a trace context: those probed by
/// health checks and scrapers (the broker's `ping` over HTTP does send one), so
/// probes make no traces, and the broker's `POST /`, which calls nothing.
const UNTRACED: &[&str] = &["/ping", "/health", "/metrics", "/"];

/// Middleware of every HTTP server: serves the request in a span of the
/// caller's trace (or of a new one), and answers with that span's `traceparent`.
/// A route that dispatches a call sets its `action` and `transport` on it
/// ([`set_call`]).
pub async fn http_request(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let untraced =
        UNTRACED.contains(&request.path()) && !request.headers().contains_key(ACTIX_TRACEPARENT);
    if !enabled() || untraced {
        return next.call(request).await;
    }
    let span = server_span(|| {
        // The route's pattern, from the app's resource map (routing comes later).
        let route = request.match_pattern();
        let route = route.as_deref().unwrap_or("unmatched");
        let name = format!("{} {route}", request.method());
        let span = tracing::info_span!("HTTP request", otel.name = name, otel.kind = "server");
        span.set_attribute("http.request.method", request.method().as_str().to_owned());
        span.set_attribute("url.path", request.path().to_owned());
        span
    });
    let Some(current) = continue_from(&span, &ActixHeaders(request.headers())) else {
        return next.call(request).instrument(span).await;
    };
    let own = *current.traceparent();
    let served = next.call(request).instrument(span.clone());
    let mut response = current.scope(served).await?;
    if exported() {
        let status = i64::from(response.status().as_u16());
        span.set_attribute("http.response.status_code", status);
    }
    if let Ok(value) = HeaderValue::from_bytes(own.as_str().as_bytes()) {
        let headers = response.headers_mut();
        headers.insert(ACTIX_TRACEPARENT, value);
    }
    Ok(response)
}

/// The context of one gRPC call a tonic server received, in the caller's
/// trace, and its span when spans are exported (`Span::none()` otherwise);
/// `None` when tracing is off.
pub fn grpc_request(request: &http::request::Parts) -> Option<(Span, Current)> {
    let span = server_span(|| {
        let span = tracing::info_span!(
            "gRPC request",
            otel.name = request.uri.path().trim_start_matches('/'),
            otel.kind = "server",
        );
        span.set_attribute("rpc.system", "grpc");
        span
    });
    let current = continue_from(&span, &HeaderReader(&request.headers))?;
    Some((span, current))
}

/// The context of one call of a batch (an array to `POST /call`) that names its own
/// trace: a child of `traceparent` (a new trace when it is not one), and its
/// span when spans are exported (`Span::none()` otherwise); `None` when
/// tracing is off. Such a call is served in the trace of the event it came
/// from, not in the batch's.
pub fn batched_call(traceparent: &str) -> (Span, Option<Current>) {
    let span = server_span(|| tracing::info_span!("batched call", otel.kind = "server"));
    let current = continue_from(&span, &OneTraceparent(traceparent));
    (span, current)
}

/// Runs `future` in `span` and, when there is one, the context `current`:
/// what a server does with each call it received.
pub async fn serve_in<F: Future>(span: Span, current: Option<Current>, future: F) -> F::Output {
    let future = future.instrument(span);
    match current {
        Some(current) => current.scope(future).await,
        None => future.await,
    }
}

/// A lone `traceparent` as a carrier to read.
struct OneTraceparent<'a>(&'a str);

impl Extractor for OneTraceparent<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == TRACEPARENT).then_some(self.0)
    }

    fn keys(&self) -> Vec<&str> {
        vec![TRACEPARENT]
    }
}

/// Names the call the current request dispatched (`action`, `transport`) on
/// its span's trace (the span of [`http_request`]); nothing unless spans are
/// exported.
pub fn set_call(action: &'static str, transport: &'static str) {
    if exported() {
        let span = Span::current();
        span.set_attribute("action", action);
        span.set_attribute("transport", transport);
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
}
