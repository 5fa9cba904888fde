//! The HTTP edge shared by every actix-web service.

mod detach;

pub use detach::detach_headers;

use std::io;

use actix_web::ResponseError;
use actix_web::{App, HttpResponse, HttpServer, dev::Server, http::StatusCode, web};
use anyhow::Context;
use protocol::{Answer, JsonResponse, WorkerError};
use tokio_util::sync::CancellationToken;

/// Default largest request body, in bytes (1 MiB). Larger bodies get a 413.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Binds `addr` and builds a server whose app is configured by `configure`
/// (routes and app data), plus `GET /metrics` (see [`crate::metrics`]), every
/// request in a span of its trace ([`crate::trace::http_request`]). Returns the
/// server, not yet running, and the bound port.
/// `workers == 0` means one worker per CPU core. Signals are left to the caller's
/// shutdown token (see [`serve_until`]).
pub fn bind_server<F>(addr: &str, workers: usize, configure: F) -> anyhow::Result<(Server, u16)>
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("cannot bind HTTP on {addr}"))?;
    let port = listener.local_addr()?.port();
    crate::metrics::install();
    let mut server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(crate::trace::http_request))
            .app_data(query_config())
            .route("/metrics", web::get().to(crate::metrics::serve))
            .configure(configure.clone())
            .default_service(web::to(not_found))
    })
    .disable_signals()
    .shutdown_timeout(10)
    .listen(listener)?;
    if workers > 0 {
        server = server.workers(workers);
    }
    Ok((server.run(), port))
}

/// Runs an actix-web server until `shutdown` is cancelled, then stops it
/// gracefully: no new connections, in-flight requests finish (up to the server's
/// shutdown timeout).
pub async fn serve_until(server: Server, shutdown: CancellationToken) -> io::Result<()> {
    let handle = server.handle();
    tokio::spawn(async move {
        shutdown.cancelled().await;
        handle.stop(true).await;
    });
    server.await
}

/// A request body that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    /// Larger than the configured limit (413).
    #[error("request body is larger than {0} bytes")]
    TooLarge(usize),
    /// The connection failed while the body was being read (400).
    #[error("could not read the request body")]
    Incomplete(#[source] actix_web::Error),
}

/// Why an HTTP call of a worker failed: its body, or the worker's own answer.
/// The one place a [`WorkerError`] becomes an HTTP status and the JSON error body.
#[derive(Debug, thiserror::Error)]
pub enum Failure {
    /// The body could not be read (400) or is too large (413).
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The worker's answer: its status from [`WorkerError::http_status`].
    #[error(transparent)]
    Worker(#[from] WorkerError),
}

impl ResponseError for Failure {
    fn status_code(&self) -> StatusCode {
        let code = match self {
            Failure::Body(BodyError::TooLarge(_)) => 413,
            Failure::Body(BodyError::Incomplete(_)) => 400,
            Failure::Worker(e) => e.http_status(),
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = error_response(self.status_code(), self.to_string());
        if let Failure::Worker(error) = self
            && let Some(seconds) = error.retry_after_secs()
        {
            let headers = response.headers_mut();
            headers.insert(actix_web::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// 202 with the worker's answer: `{"error":false,"message":…,"data":…}`, and
/// its timing in the `Server-Timing` header.
pub fn accepted(answer: Answer) -> HttpResponse {
    let mut response = HttpResponse::Accepted();
    if let Some(timing) = answer.timing {
        response.insert_header((protocol::timing::SERVER_TIMING, timing.to_header()));
    }
    let mut body = JsonResponse::ok(answer.message);
    body.data = answer.data;
    response.json(body)
}

/// The largest body a service's [`Json`] extractor reads (app data; the
/// default is [`DEFAULT_MAX_BODY_BYTES`]).
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A JSON body read up to the app's [`BodyLimit`] and deserialized into `T`
/// (through `T`'s own checks): a body that is too large is a 413, one that is not
/// a valid `T` a 400 quoting at most the start of serde's message.
pub struct Json<T>(pub T);

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for Json<T> {
    type Error = Failure;
    type Future = futures::future::LocalBoxFuture<'static, Result<Self, Failure>>;

    fn from_request(
        request: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let limit = request
            .app_data::<BodyLimit>()
            .map_or(DEFAULT_MAX_BODY_BYTES, |l| l.0);
        let mut payload = payload.take();
        Box::pin(async move {
            use futures::StreamExt;
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| BodyError::Incomplete(e.into()))?;
                if body.len() + chunk.len() > limit {
                    return Err(BodyError::TooLarge(limit).into());
                }
                body.extend_from_slice(&chunk);
            }
            serde_json::from_slice(&body).map(Json).map_err(|e| {
                let error = protocol::RequestError::malformed(&e);
                Failure::Worker(WorkerError::Invalid(error.to_string()))
            })
        })
    }
}

/// Reads the whole body, refusing more than `limit` bytes.
pub async fn read_body(payload: web::Payload, limit: usize) -> Result<web::Bytes, BodyError> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => Err(BodyError::Incomplete(e)),
        Err(_) => Err(BodyError::TooLarge(limit)),
    }
}

/// The contract's error body, `{"error":true,"message":...}`, with `status`
/// (the workers' answers are the original's, without a `trace_id`).
pub fn error_response(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(JsonResponse::<()>::error(message))
}

/// `path` served by `route` alone; any other method gets the JSON 405 whose
/// `Allow` header is `allow`.
pub fn resource(path: &str, allow: &'static str, route: actix_web::Route) -> actix_web::Resource {
    web::resource(path)
        .route(route)
        .default_service(method_not_allowed(allow))
}

/// The answer to a method a path does not serve: 405 with the JSON error body
/// and the `Allow` header naming the method it does serve (RFC 9110).
pub fn method_not_allowed(allow: &'static str) -> actix_web::Route {
    web::to(move || async move {
        let mut response = error_response(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        response.headers_mut().insert(
            actix_web::http::header::ALLOW,
            actix_web::http::header::HeaderValue::from_static(allow),
        );
        response
    })
}

/// The answer to a path nothing serves: 404 with the JSON error body.
pub async fn not_found() -> HttpResponse {
    error_response(StatusCode::NOT_FOUND, "not found")
}

/// Answers `GET /ping` (the heartbeat every service exposes).
pub async fn ping() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body(".")
}

/// Query-string extraction whose errors use the contract's error body (for the
/// handlers that take `web::Query`).
pub fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        let message = format!("invalid query string: {err}");
        actix_web::error::InternalError::from_response(
            err,
            error_response(StatusCode::BAD_REQUEST, message),
        )
        .into()
    })
}
