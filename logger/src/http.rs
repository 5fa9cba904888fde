//! `GET /logs?limit=N`: the newest entries, newest first.

use actix_web::{HttpResponse, web};
use protocol::{JsonResponse, LogRecord, WorkerError};
use runtime::http::Failure;
use serde::Deserialize;

use crate::service::Logger;

/// Registers the route (the [`Logger`] is app data).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/logs", web::get().to(recent_logs));
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
