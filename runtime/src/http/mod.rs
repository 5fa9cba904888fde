//! The HTTP edge shared by every actix-web service.

mod detach;
mod wire;
#[cfg(feature = "worker")]
pub mod worker;

pub use detach::detach_headers;
pub use wire::JsonErrors;

use std::io;

use actix_service::{IntoServiceFactory as _, ServiceFactoryExt as _};
use actix_web::ResponseError;
use actix_web::{App, HttpResponse, dev::Server, http::StatusCode, web};
use anyhow::Context;
use protocol::{JsonResponse, WorkerError};
use tokio_util::sync::CancellationToken;

pub use crate::limits::DEFAULT_MAX_BODY_BYTES;
use crate::limits::{Edge, Held};

/// Binds `addr` and builds a server whose app is configured by `configure`
/// (routes and app data), plus `GET /metrics` (see [`crate::metrics`]), every
/// request in a span of its trace ([`crate::trace::http_request`]), held to
/// `edge`'s limits: the head within the receive deadline (408), the connection
/// closed when idle, at most `max_connections` served at once, and every error
/// answer actix writes itself given the JSON error body ([`JsonErrors`]). The
/// [`Json`] extractor and [`receive`] find `edge` as app data. Returns the
/// server, not yet running, and the bound port.
/// `workers == 0` means one worker per CPU core. Signals are left to the caller's
/// shutdown token (see [`serve_until`]).
pub fn bind_server<F>(
    addr: &str,
    workers: usize,
    edge: &Edge,
    configure: F,
) -> anyhow::Result<(Server, u16)>
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    let listener =
        std::net::TcpListener::bind(addr).with_context(|| format!("cannot bind HTTP on {addr}"))?;
    let port = listener.local_addr()?.port();
    crate::metrics::install();
    let workers = if workers > 0 {
        workers
    } else {
        std::thread::available_parallelism().map_or(1, usize::from)
    };
    let limits = edge.limits().clone();
    let edge = edge.clone();
    let app = move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(crate::trace::http_request))
            .app_data(query_config())
            .app_data(edge.clone())
            .route("/metrics", web::get().to(crate::metrics::serve))
            .configure(configure.clone())
            .default_service(web::to(not_found))
    };
    let builder = actix_web::dev::Server::build();
    // Idle keep-alive connections close at once when the server stops.
    let stopping = builder.graceful_shutdown_signal();
    let server = builder
        .workers(workers)
        .max_concurrent_connections(limits.max_connections.div_ceil(workers))
        .disable_signals()
        .shutdown_timeout(10)
        .listen("http", listener, move || {
            let app = app().into_factory();
            let stopping = stopping.clone();
            let http = actix_http::HttpService::build()
                .graceful_shutdown_signal(move || {
                    let stopping = stopping.clone();
                    async move { stopping.notified().await }
                })
                .keep_alive(limits.idle_timeout())
                .client_request_timeout(limits.receive_timeout())
                .client_disconnect_timeout(std::time::Duration::from_secs(1))
                .finish(actix_service::map_config(app, |()| {
                    actix_web::dev::AppConfig::default()
                }));
            actix_service::fn_service(|io: tokio::net::TcpStream| async move {
                let _ = io.set_nodelay(true);
                let peer = io.peer_addr().ok();
                let connection = (JsonErrors::new(io), actix_http::Protocol::Http1, peer);
                Ok::<_, actix_http::error::DispatchError>(connection)
            })
            .and_then(http)
        })?
        .run();
    Ok((server, port))
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
    /// The body did not arrive within the receive deadline (408).
    #[error("the request body was not received within {0:?}")]
    TimedOut(std::time::Duration),
    /// The process holds as many bytes of requests being received as its
    /// budget allows (503 `busy`, `Retry-After: 1`).
    #[error("the server is busy receiving other requests")]
    Busy,
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

impl Failure {
    /// The seconds of the answer's `Retry-After`: a shed call's, or 1 when the
    /// receive budget is spent.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Failure::Worker(error) => error.retry_after_secs(),
            Failure::Body(BodyError::Busy) => Some(1),
            Failure::Body(_) => None,
        }
    }
}

impl ResponseError for Failure {
    fn status_code(&self) -> StatusCode {
        let code = match self {
            Failure::Body(BodyError::TooLarge(_)) => 413,
            Failure::Body(BodyError::Incomplete(_)) => 400,
            Failure::Body(BodyError::TimedOut(_)) => 408,
            Failure::Body(BodyError::Busy) => 503,
            Failure::Worker(e) => e.http_status(),
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = error_response(self.status_code(), self.to_string());
        if let Some(seconds) = self.retry_after_secs() {
            let headers = response.headers_mut();
            headers.insert(actix_web::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

/// A JSON body received within the app's [`Edge`] limits ([`receive`]) and
/// deserialized into `T` (through `T`'s own checks): a body that is too large is
/// a 413, one that is late a 408, one that is not a valid `T` a 400 quoting at
/// most the start of serde's message.
pub struct Json<T>(pub T);

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for Json<T> {
    type Error = Failure;
    type Future = futures::future::LocalBoxFuture<'static, Result<Self, Failure>>;

    fn from_request(
        request: &actix_web::HttpRequest,
        payload: &mut actix_web::dev::Payload,
    ) -> Self::Future {
        let edge = edge_of(request);
        let payload = payload.take();
        Box::pin(async move {
            let (body, _held) = receive(&edge, payload).await?;
            serde_json::from_slice(&body).map(Json).map_err(|e| {
                let error = protocol::RequestError::malformed(&e);
                Failure::Worker(WorkerError::Invalid(error.to_string()))
            })
        })
    }
}

/// The [`Edge`] a server was bound with ([`bind_server`] adds it as app data).
pub fn edge_of(request: &actix_web::HttpRequest) -> Edge {
    request.app_data::<Edge>().cloned().unwrap_or_default()
}

/// Reads the whole body within `edge`'s limits: at most `max_body_bytes`
/// (413), all of it within the receive deadline (408), each chunk taken from the
/// process's receive budget (503 `busy` when it is spent). The budget is held
/// until the returned [`Held`] is dropped: keep it while the body is parsed.
pub async fn receive(
    edge: &Edge,
    mut payload: actix_web::dev::Payload,
) -> Result<(web::BytesMut, Held), BodyError> {
    use futures::StreamExt;
    let limits = edge.limits();
    let (limit, deadline) = (limits.max_body_bytes, limits.receive_timeout());
    let mut held = Held::default();
    let reading = async {
        // Chunks are kept as they came and joined once: growing one buffer
        // would copy it at each doubling and leave the old copies to the
        // allocator, about as much memory again as the body.
        let (mut chunks, mut len) = (Vec::new(), 0);
        while let Some(chunk) = payload.next().await {
            let chunk = chunk.map_err(|e| BodyError::Incomplete(e.into()))?;
            len += chunk.len();
            if len > limit {
                return Err(BodyError::TooLarge(limit));
            }
            if !edge.take(&mut held, chunk.len()) {
                return Err(BodyError::Busy);
            }
            chunks.push(chunk);
        }
        let mut body = web::BytesMut::with_capacity(len);
        chunks
            .iter()
            .for_each(|chunk| body.extend_from_slice(chunk));
        Ok(body)
    };
    match tokio::time::timeout(deadline, reading).await {
        Ok(body) => Ok((body?, held)),
        Err(_) => {
            crate::metrics::edge_refused("receive_deadline");
            Err(BodyError::TimedOut(deadline))
        }
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
