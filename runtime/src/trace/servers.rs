//! What servers do with each request they receive: its context in the
//! caller's trace ([`super::Current`]) and, when spans are exported, its span.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
};
use opentelemetry::propagation::Extractor;
use tracing::{Instrument, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{Current, HeaderReader, TRACEPARENT, TRACESTATE, continue_from, enabled};

/// [`TRACEPARENT`] as actix-web's header name (http 0.2), made at compile time.
const TRACEPARENT_NAME: HeaderName = HeaderName::from_static(TRACEPARENT);
/// [`TRACESTATE`] as actix-web's header name.
const TRACESTATE_NAME: HeaderName = HeaderName::from_static(TRACESTATE);

/// actix-web's request headers as a carrier to read.
struct ActixHeaders<'a>(&'a actix_web::http::header::HeaderMap);

impl Extractor for ActixHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        let value = match key {
            TRACEPARENT => self.0.get(TRACEPARENT_NAME),
            TRACESTATE => self.0.get(TRACESTATE_NAME),
            _ => self.0.get(key),
        };
        value?.to_str().ok()
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(HeaderName::as_str).collect()
    }
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
        UNTRACED.contains(&request.path()) && !request.headers().contains_key(TRACEPARENT_NAME);
    if !enabled() || untraced {
        return next.call(request).await;
    }
    let span = super::server_span(|| {
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
    if super::exported() {
        let status = i64::from(response.status().as_u16());
        span.set_attribute("http.response.status_code", status);
    }
    if let Ok(value) = HeaderValue::from_bytes(own.as_str().as_bytes()) {
        let headers = response.headers_mut();
        headers.insert(TRACEPARENT_NAME, value);
    }
    Ok(response)
}

/// The context of one gRPC call a tonic server received, in the caller's
/// trace, and its span when spans are exported (`Span::none()` otherwise);
/// `None` when tracing is off.
pub fn grpc_request(request: &http::request::Parts) -> Option<(Span, Current)> {
    let span = super::server_span(|| {
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

/// Names the call the current request dispatched (`action`, `transport`) on
/// its span's trace (the span of [`http_request`]); nothing unless spans are
/// exported.
pub fn set_call(action: &'static str, transport: &'static str) {
    if super::exported() {
        let span = Span::current();
        span.set_attribute("action", action);
        span.set_attribute("transport", transport);
    }
}
