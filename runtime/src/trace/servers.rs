//! The spans servers open for each request they receive, in the caller's trace.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
};
use opentelemetry::propagation::Extractor;
use tracing::{Instrument, Span, field::Empty};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{HeaderReader, TRACEPARENT, continue_from, enabled, traceparent};

/// actix-web's request headers as a carrier to read.
struct ActixHeaders<'a>(&'a actix_web::http::header::HeaderMap);

impl Extractor for ActixHeaders<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key)?.to_str().ok()
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
        UNTRACED.contains(&request.path()) && !request.headers().contains_key(TRACEPARENT);
    if !enabled() || untraced {
        return next.call(request).await;
    }
    // The route's pattern, from the app's resource map (routing comes later).
    let route = request.match_pattern();
    // Only `trace_id` is a `tracing` field (log lines name it); what only the
    // trace needs is set on the OpenTelemetry span directly, so the log-line
    // layer does not format it into every request's span for nothing.
    let span = tracing::info_span!(
        "HTTP request",
        otel.name = format!(
            "{} {}",
            request.method(),
            route.as_deref().unwrap_or("unmatched")
        ),
        otel.kind = "server",
        trace_id = Empty,
    );
    span.set_attribute("http.request.method", request.method().as_str().to_owned());
    span.set_attribute("url.path", request.path().to_owned());
    continue_from(&span, &ActixHeaders(request.headers()));
    let mut response = next.call(request).instrument(span.clone()).await?;
    span.set_attribute(
        "http.response.status_code",
        i64::from(response.status().as_u16()),
    );
    if let Some(value) = traceparent(&span).and_then(|v| HeaderValue::from_str(&v).ok()) {
        let headers = response.headers_mut();
        headers.insert(HeaderName::from_static(TRACEPARENT), value);
    }
    Ok(response)
}

/// The span of one gRPC call a tonic server received, in the caller's trace
/// (`tonic::transport::Server::builder().trace_fn(grpc_request)`).
pub fn grpc_request(request: &http::Request<()>) -> Span {
    let span = tracing::info_span!(
        "gRPC request",
        otel.name = request.uri().path().trim_start_matches('/'),
        otel.kind = "server",
        rpc.system = "grpc",
        trace_id = Empty,
    );
    continue_from(&span, &HeaderReader(request.headers()));
    span
}

/// Names the call the current request dispatched (`action`, `transport`) on
/// its span's trace (the span of [`http_request`]); nothing without tracing.
pub fn set_call(action: &'static str, transport: &'static str) {
    if super::enabled() {
        let span = Span::current();
        span.set_attribute("action", action);
        span.set_attribute("transport", transport);
    }
}
