//! The spans servers open for each request they receive, in the caller's trace.

use std::borrow::Cow;

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::{HeaderName, HeaderValue},
    middleware::Next,
};
use opentelemetry::propagation::Extractor;
use tracing::{Instrument, Span, field::Empty};
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::{HeaderReader, TRACEPARENT, Traceparent, continue_from, enabled};

tokio::task_local! {
    /// The `traceparent` of the request [`http_request`] is serving, formatted
    /// once for its answer's header and body.
    static REQUEST: Traceparent;
}

/// The trace id of the request being served, if [`http_request`] traces it.
pub(super) fn request_trace_id() -> Option<String> {
    REQUEST.try_with(|own| own.trace_id().to_owned()).ok()
}

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
    // Only `trace_id` is a `tracing` field (log lines name it); what only the
    // exported span needs is set on the OpenTelemetry span directly, and only
    // when spans are exported, so that neither the log-line layer nor a span
    // that goes nowhere spends anything on it.
    let exported = super::exported();
    let name = if exported {
        // The route's pattern, from the app's resource map (routing comes later).
        let route = request.match_pattern();
        let route = route.as_deref().unwrap_or("unmatched");
        Cow::Owned(format!("{} {route}", request.method()))
    } else {
        Cow::Borrowed("HTTP request")
    };
    let span = tracing::info_span!(
        "HTTP request",
        otel.name = name.as_ref(),
        otel.kind = "server",
        trace_id = Empty,
    );
    if exported {
        span.set_attribute("http.request.method", request.method().as_str().to_owned());
        span.set_attribute("url.path", request.path().to_owned());
    }
    let Some(own) = continue_from(&span, &ActixHeaders(request.headers())) else {
        return next.call(request).instrument(span).await;
    };
    let served = next.call(request).instrument(span.clone());
    let mut response = REQUEST.scope(own, served).await?;
    if exported {
        let status = i64::from(response.status().as_u16());
        span.set_attribute("http.response.status_code", status);
    }
    if let Ok(value) = HeaderValue::from_bytes(own.as_str().as_bytes()) {
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
        trace_id = Empty,
    );
    if super::exported() {
        span.set_attribute("rpc.system", "grpc");
    }
    continue_from(&span, &HeaderReader(request.headers()));
    span
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
