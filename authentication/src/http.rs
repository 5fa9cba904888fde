//! The HTTP API: `POST /authenticate`, `GET /ping`, `GET /health`.

use actix_web::{HttpResponse, middleware::from_fn, web};
use protocol::{Credentials, JsonResponse, Transport, Worker, WorkerError};
use runtime::http::{Failure, Json, accepted, detach_headers, resource};
use runtime::metrics::worker_call;

use crate::service::Authenticator;

/// Registers the routes (the [`Authenticator`] and the body limit are app data).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ping", web::get().to(runtime::http::ping))
        .route("/health", web::get().to(health))
        .service(
            resource("/authenticate", "POST", web::post().to(authenticate))
                .wrap(from_fn(detach_headers)),
        );
}

/// `POST /authenticate` `{"email","password"}` → 202 with the user, or 401.
async fn authenticate(
    auth: web::Data<Authenticator>,
    Json(credentials): Json<Credentials>,
) -> Result<HttpResponse, Failure> {
    let call = auth.authenticate(credentials);
    Ok(accepted(
        worker_call(Worker::Authentication, "auth", Transport::Http, call).await?,
    ))
}

/// `GET /health`: 200 when Postgres answers and migrations ran, 503 otherwise.
async fn health(auth: web::Data<Authenticator>) -> Result<HttpResponse, Failure> {
    auth.store.ping().await.map_err(WorkerError::from)?;
    Ok(HttpResponse::Ok().json(JsonResponse::<()>::ok("ok")))
}
