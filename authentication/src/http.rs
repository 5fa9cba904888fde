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
        .route("/jwks.json", web::get().to(jwks))
        .route("/.well-known/jwks.json", web::get().to(jwks))
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

/// `GET /jwks.json` (and `/.well-known/jwks.json`): the key that verifies the
/// tokens, as a JSON Web Key Set (RFC 7517).
async fn jwks(auth: web::Data<Authenticator>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("cache-control", "max-age=300"))
        .json(auth.issuer.jwks())
}

/// `GET /health`: 200 when Postgres answers and migrations ran, 503 otherwise.
async fn health(auth: web::Data<Authenticator>) -> Result<HttpResponse, Failure> {
    auth.store.ping().await.map_err(WorkerError::from)?;
    Ok(HttpResponse::Ok().json(JsonResponse::<()>::ok("ok")))
}
