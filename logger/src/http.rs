//! The HTTP API: `POST /log`, `GET /logs?limit=N`, `GET /ping`, `GET /health`.

use actix_web::{HttpResponse, middleware::from_fn, web};
use protocol::{JsonResponse, LogPayload, LogRecord};
use runtime::http::{detach_headers, read_body, resource};
use serde::Deserialize;

use crate::{
    error::LoggerError,
    service::{LOGGED, write_entry},
    store::LogStore,
};

/// Shared state of the HTTP handlers.
pub struct HttpState {
    /// The store.
    pub store: LogStore,
    /// Largest accepted body.
    pub max_body_bytes: usize,
}

/// Registers the routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ping", web::get().to(runtime::http::ping))
        .route("/health", web::get().to(health))
        .service(resource("/log", "POST", web::post().to(write_log)).wrap(from_fn(detach_headers)))
        .route("/logs", web::get().to(recent_logs));
}

/// `POST /log` `{"name","data"}` → 202 `{"error":false,"message":"logged"}` once stored.
async fn write_log(
    state: web::Data<HttpState>,
    payload: web::Payload,
) -> Result<HttpResponse, LoggerError> {
    let body = read_body(payload, state.max_body_bytes).await?;
    let entry: LogPayload =
        serde_json::from_slice(&body).map_err(|e| LoggerError::Malformed(e.to_string()))?;
    write_entry(&state.store, entry).await?;
    Ok(HttpResponse::Accepted().json(JsonResponse::<()>::ok(LOGGED)))
}

/// Most entries `GET /logs` returns at once.
pub const MAX_LIMIT: i64 = 1000;

#[derive(Deserialize)]
struct RecentQuery {
    limit: Option<i64>,
}

/// `GET /logs?limit=N` → the newest N entries (default 20, at most 1000), newest first.
async fn recent_logs(
    state: web::Data<HttpState>,
    query: web::Query<RecentQuery>,
) -> Result<HttpResponse, LoggerError> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(LoggerError::Invalid(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let records: Vec<LogRecord> = state.store.recent(limit).await?;
    let message = format!("{} entries", records.len());
    Ok(HttpResponse::Ok().json(JsonResponse::with_data(message, records)))
}

/// `GET /health`: 200 when MongoDB answers, 503 otherwise.
async fn health(state: web::Data<HttpState>) -> Result<HttpResponse, LoggerError> {
    state.store.ping().await?;
    Ok(HttpResponse::Ok().json(JsonResponse::<()>::ok("ok")))
}
