//! A worker over HTTP, for any [`Handler`]:
//! - `POST /call`: a [`Call`] as JSON (the `/handle` body), answered with the
//!   [`Reply`] JSON every JSON wire carries (`{"Ok":{…}}` with 200, or
//!   `{"Err":{…}}` with the error's status): what the broker's HTTP client
//!   sends.
//!   With an array of calls instead ([`protocol::batch`], as JSON-RPC batches
//!   do), each is served as one would be, in its own trace, and the answer
//!   is their [`Reply`]s in order (200): how the listener stores a batch of
//!   events.
//! - The Go original's doors of the actions the worker serves
//!   ([`Action::door`]): `POST /log`, `/authenticate`, `/send`, `/ping` with
//!   the action's payload as the body, answered 202 in the original's envelope
//!   ([`JsonResponse::answered`]), the worker's timing in `Server-Timing`.
//! - `GET /ping` (the heartbeat), `GET /health` ([`Handler::health`]), and the
//!   worker's [`Handler::documents`].
//!
//! Bodies are received within the server's limits ([`receive`]): 413, 408 and
//! 503 `busy` in the contract's error body, before the handler is reached.

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    middleware::from_fn,
    web,
};
use protocol::{Action, Call, JsonResponse, Reply, RequestError, Transport, WorkerError};

use super::{Failure, detach_headers, edge_of, method_not_allowed, receive};
use crate::worker::{Document, Handler, serve_call};

/// Registers a worker's routes, serving `handler`.
pub fn routes<H: Handler>(cfg: &mut web::ServiceConfig, handler: H) {
    let documents = handler.documents();
    cfg.app_data(web::Data::new(handler))
        .service(
            web::resource("/call")
                .route(web::post().to(call::<H>))
                .wrap(from_fn(detach_headers))
                .default_service(method_not_allowed("POST")),
        )
        .route("/health", web::get().to(health::<H>));
    let served = Action::ALL.into_iter().filter(|a| a.worker() == H::WORKER);
    let doors: Vec<_> = served.filter_map(|a| Some((a, a.door()?))).collect();
    for &(action, path) in &doors {
        let door = web::post()
            .to(move |handler, request, payload| door::<H>(handler, action, request, payload));
        let mut resource = web::resource(path).route(door);
        let allow = if path == "/ping" {
            resource = resource.route(web::get().to(super::ping));
            "GET, POST"
        } else {
            "POST"
        };
        cfg.service(
            resource
                .wrap(from_fn(detach_headers))
                .default_service(method_not_allowed(allow)),
        );
    }
    if !doors.iter().any(|(_, path)| *path == "/ping") {
        cfg.route("/ping", web::get().to(super::ping));
    }
    for document in documents {
        for path in document.paths {
            let document = document.clone();
            cfg.route(
                path,
                web::get().to(move || serve_document(document.clone())),
            );
        }
    }
}

/// `POST /call`: the call's [`Reply`].
async fn call<H: Handler>(
    handler: web::Data<H>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Failure> {
    let (body, _held) = receive(&edge_of(&request), payload.into_inner()).await?;
    if body.trim_ascii_start().starts_with(b"[") {
        return Ok(HttpResponse::Ok().json(serve_batch(handler.get_ref(), &body).await?));
    }
    let reply: Reply = match serde_json::from_slice::<Call>(&body) {
        Ok(call) => serve_call(handler.get_ref(), call, Transport::Http).await,
        Err(error) => Err(invalid(error)),
    };
    let status = match &reply {
        Ok(_) => StatusCode::OK,
        Err(error) => {
            StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
    };
    let mut response = HttpResponse::build(status);
    if let Some(seconds) = reply.as_ref().err().and_then(WorkerError::retry_after_secs) {
        response.insert_header((header::RETRY_AFTER, seconds));
    }
    Ok(response.json(reply))
}

/// A batch (`POST /call` with an array): each call's [`Reply`], in order. A
/// call that is not valid fails alone; a body that is not a batch, or has
/// more than [`protocol::batch::MAX_CALLS`] calls, is refused whole (400).
async fn serve_batch<H: Handler>(handler: &H, body: &[u8]) -> Result<Vec<Reply>, WorkerError> {
    let batch: Vec<protocol::batch::Received> = serde_json::from_slice(body).map_err(invalid)?;
    if batch.len() > protocol::batch::MAX_CALLS {
        let most = protocol::batch::MAX_CALLS;
        return Err(WorkerError::Invalid(format!(
            "a batch has at most {most} calls"
        )));
    }
    let served = batch.iter().map(|batched| async move {
        let served = async {
            match batched.call() {
                Ok(call) => serve_call(handler, call, Transport::Http).await,
                Err(e) => Err(invalid(e)),
            }
        };
        match batched.traceparent {
            // In the trace of the event or request it came from.
            Some(parent) => {
                let (span, current) = crate::trace::batched_call(parent);
                crate::trace::serve_in(span, current, served).await
            }
            // In the request's own.
            None => served.await,
        }
    });
    Ok(futures::future::join_all(served).await)
}

/// A body that is not a call (or a batch of calls).
fn invalid(error: serde_json::Error) -> WorkerError {
    WorkerError::Invalid(RequestError::malformed(error).to_string())
}

/// An original door: the action's payload as the body, the original's answer.
async fn door<H: Handler>(
    handler: web::Data<H>,
    action: Action,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, Failure> {
    let (body, _held) = receive(&edge_of(&request), payload.into_inner()).await?;
    let call =
        Call::from_payload_json(action, &body).map_err(|e| WorkerError::Invalid(e.to_string()))?;
    let answer = serve_call(handler.get_ref(), call, Transport::Http).await?;
    let mut response = HttpResponse::Accepted();
    if let Some(timing) = answer.timing {
        response.insert_header((protocol::timing::SERVER_TIMING, timing.to_header()));
    }
    Ok(response.json(JsonResponse::answered(answer.message, answer.data)))
}

/// `GET /health`: 200 when the worker's dependency answers, its error otherwise.
async fn health<H: Handler>(handler: web::Data<H>) -> Result<HttpResponse, Failure> {
    handler.health().await?;
    Ok(HttpResponse::Ok().json(JsonResponse::<()>::ok("ok")))
}

async fn serve_document(document: Document) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            format!("max-age={}", document.max_age_secs),
        ))
        .content_type(header::ContentType::json())
        .body(document.json)
}
