//! The HTTP API: `POST /log`, `GET /logs?limit=N`, `GET /ping` (the original's
//! heartbeat), `POST /ping` (an echo), `GET /health`.

use actix_web::{HttpResponse, middleware::from_fn, web};
use protocol::{JsonResponse, LogPayload, LogRecord, PingPayload, Transport, Worker, WorkerError};
use runtime::http::{Failure, Json, accepted, detach_headers, method_not_allowed, resource};
use runtime::metrics::worker_call;
use serde::Deserialize;

use crate::service::Logger;

/// Registers the routes (the [`Logger`] and the body limit are app data).
pub fn routes(cfg: &mut web::ServiceConfig) {
    let ping = web::resource("/ping")
        .route(web::get().to(runtime::http::ping))
        .route(web::post().to(echo))
        .default_service(method_not_allowed("GET, POST"));
    cfg.service(ping)
        .route("/health", web::get().to(health))
        .service(resource("/log", "POST", web::post().to(write_log)).wrap(from_fn(detach_headers)))
        .route("/logs", web::get().to(recent_logs));
}

/// `POST /log` `{"name","data"}` → 202 `{"error":false,"message":"logged"}` once stored.
async fn write_log(
    logger: web::Data<Logger>,
    Json(entry): Json<LogPayload>,
) -> Result<HttpResponse, Failure> {
    let call = worker_call(Worker::Logger, "log", Transport::Http, logger.log(entry));
    Ok(accepted(call.await?))
}

/// `POST /ping` `{"data"}` → 202 `{"error":false,"message":"pong","echo":data}`:
/// the data back as it came, touching no database.
async fn echo(Json(payload): Json<PingPayload>) -> Result<HttpResponse, Failure> {
    let ping = async { Ok(Logger::ping(Some(payload)).await) };
    let call = worker_call(Worker::Logger, "ping", Transport::Http, ping);
    Ok(accepted(call.await?))
}

/// Most entries `GET /logs` returns at once.
pub const MAX_LIMIT: i64 = 1000;

#[derive(Deserialize)]
struct RecentQuery {
    limit: Option<i64>,
}

/// `GET /logs?limit=N` → the newest N entries (default 20, at most 1000), newest first.
async fn recent_logs(
    logger: web::Data<Logger>,
    query: web::Query<RecentQuery>,
) -> Result<HttpResponse, Failure> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        let message = format!("limit must be between 1 and {MAX_LIMIT}");
        return Err(WorkerError::Invalid(message).into());
    }
    let records: Vec<LogRecord> = logger
        .store
        .recent(limit)
        .await
        .map_err(WorkerError::from)?;
    let message = format!("{} entries", records.len());
    Ok(HttpResponse::Ok().json(JsonResponse::with_data(message, records)))
}

/// `GET /health`: 200 when MongoDB answers, 503 otherwise.
async fn health(logger: web::Data<Logger>) -> Result<HttpResponse, Failure> {
    logger.store.ping().await.map_err(WorkerError::from)?;
    Ok(HttpResponse::Ok().json(JsonResponse::<()>::ok("ok")))
}
