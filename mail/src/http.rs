//! The HTTP API: `POST /send`, `GET /ping`.

use actix_web::{HttpResponse, middleware::from_fn, web};
use protocol::{MailPayload, Transport, Worker};
use runtime::http::{Failure, Json, accepted, detach_headers, resource};
use runtime::metrics::worker_call;

use crate::service::Mailer;

/// Registers the routes (the [`Mailer`] and the body limit are app data).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/ping", web::get().to(runtime::http::ping))
        .service(resource("/send", "POST", web::post().to(send)).wrap(from_fn(detach_headers)));
}

/// `POST /send` `{"from","to","subject","message"}` → 202 `sent to <to>`.
async fn send(
    mailer: web::Data<Mailer>,
    Json(mail): Json<MailPayload>,
) -> Result<HttpResponse, Failure> {
    let call = worker_call(Worker::Mail, "mail", Transport::Http, mailer.send(mail));
    Ok(accepted(call.await?))
}
