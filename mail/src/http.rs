//! The HTTP API: `POST /send`, `GET /ping`.

use actix_web::{HttpResponse, middleware::from_fn, web};
use protocol::{JsonResponse, MailPayload};
use runtime::http::{detach_headers, read_body, resource};

use crate::{error::MailError, startup::Mailer};

/// Shared state of the handlers.
pub struct HttpState {
    /// The mailer.
    pub mailer: Mailer,
    /// Largest accepted body.
    pub max_body_bytes: usize,
}

/// Registers the routes.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ping", web::get().to(runtime::http::ping))
        .service(resource("/send", "POST", web::post().to(send)).wrap(from_fn(detach_headers)));
}

/// `POST /send` `{"from","to","subject","message"}` → 202 `sent to <to>`.
async fn send(
    state: web::Data<HttpState>,
    payload: web::Payload,
) -> Result<HttpResponse, MailError> {
    let body = read_body(payload, state.max_body_bytes).await?;
    let mail: MailPayload = serde_json::from_slice(&body)
        .map_err(|e| MailError::Invalid(format!("invalid JSON body: {e}")))?;
    let result = state.mailer.send(&mail).await?;
    Ok(HttpResponse::Accepted().json(JsonResponse::<()>::ok(result)))
}
