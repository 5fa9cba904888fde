//! The HTTP edge shared by every actix-web service.

use std::io;

use actix_web::{App, HttpResponse, HttpServer, dev::Server, http::StatusCode, web};
use anyhow::Context;
use protocol::JsonResponse;
use tokio_util::sync::CancellationToken;

/// Default largest request body, in bytes (1 MiB). Larger bodies get a 413.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// Binds `addr` and builds a server whose app is configured by `configure`
/// (routes and app data). Returns the server, not yet running, and the bound port.
/// `workers == 0` means one worker per CPU core. Signals are left to the caller's
/// shutdown token (see [`serve_until`]).
pub fn bind_server<F>(addr: &str, workers: usize, configure: F) -> anyhow::Result<(Server, u16)>
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("cannot bind HTTP on {addr}"))?;
    let port = listener.local_addr()?.port();
    let mut server = HttpServer::new(move || App::new().configure(configure.clone()))
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

/// Reads the whole body, refusing more than `limit` bytes.
pub async fn read_body(payload: web::Payload, limit: usize) -> Result<web::Bytes, BodyError> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(e)) => Err(BodyError::Incomplete(e)),
        Err(_) => Err(BodyError::TooLarge(limit)),
    }
}

/// The contract's error body, `{"error":true,"message":...}`, with `status`.
pub fn error_response(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).json(JsonResponse::<()>::error(message))
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
