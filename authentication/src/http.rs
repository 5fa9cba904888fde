//! The HTTP API: `POST /authenticate`, `GET /ping`, `GET /health`.

use actix_web::{HttpResponse, middleware::from_fn, web};
use protocol::{Credentials, JsonResponse};
use runtime::http::{detach_headers, read_body, resource};

use crate::{error::AuthError, service::Authenticator};

/// Shared state of the handlers.
pub struct HttpState {
    /// The authenticator.
    pub auth: Authenticator,
    /// Largest accepted body.
    pub max_body_bytes: usize,
}

/// Registers the routes.
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
    state: web::Data<HttpState>,
    payload: web::Payload,
) -> Result<HttpResponse, AuthError> {
    let body = read_body(payload, state.max_body_bytes).await?;
    let credentials: Credentials = serde_json::from_slice(&body)
        .map_err(|e| AuthError::Invalid(format!("invalid JSON body: {e}")))?;
    let user = state.auth.authenticate(credentials).await?;
    let message = format!("Logged in user {}", user.email);
    Ok(HttpResponse::Accepted().json(JsonResponse::with_data(message, user)))
}

/// `GET /health`: 200 when Postgres answers and migrations ran, 503 otherwise.
async fn health(state: web::Data<HttpState>) -> Result<HttpResponse, AuthError> {
    state.auth.store.ping().await?;
    Ok(HttpResponse::Ok().json(JsonResponse::<()>::ok("ok")))
}
