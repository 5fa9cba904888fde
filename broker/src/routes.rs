//! The broker's HTTP API.

use std::sync::Arc;

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, ContentType},
    middleware::from_fn,
    web::{self, Bytes},
};
use metrics::{Counter, Histogram};
use protocol::{
    Action, Dispatch, JsonResponse, RequestError, Timing, Transport, compare::Comparison,
};
use runtime::http::{Failure, Json, detach_headers, edge_of, receive, resource};
use runtime::metrics::Handles;
use runtime::timing::micros;

use crate::{
    compare::observer::Observer,
    comparisons::{Comparisons, events_then, heartbeat_then},
    dispatch::{Dispatched, Dispatcher, Route},
    error::{BrokerError, millis},
    tokens::Tokens,
};

/// Shared state of the handlers.
pub struct BrokerState {
    /// Clients of every transport.
    pub dispatcher: Dispatcher,
    /// Longest a comparison runs per transport.
    pub compare_max_duration: std::time::Duration,
    /// Longest a whole comparison may be planned to hold the broker.
    pub compare_max_total: std::time::Duration,
    /// The one comparison that may run (shared by every worker's state).
    pub comparisons: std::sync::Arc<Comparisons>,
    /// What needs a token, and the keys to check it (shared).
    pub tokens: std::sync::Arc<Tokens>,
}

/// Registers the routes.
/// Every path answers the methods it does not serve with a JSON 405.
/// The routes that wait on a worker copy their header values out of the
/// connection's read buffer ([`detach_headers`]); `POST /` answers at once and
/// does not need to.
pub fn routes(cfg: &mut web::ServiceConfig) {
    let dispatching = |path: &str, route: actix_web::Route| {
        resource(path, "POST", route).wrap(from_fn(detach_headers))
    };
    cfg.service(resource(
        "/ping",
        "GET, HEAD",
        web::get().to(runtime::http::ping),
    ))
    .service(resource("/", "POST", web::post().to(hit)))
    .service(dispatching("/handle", web::post().to(handle)))
    .service(dispatching("/log-gRPC", web::post().to(handle)).app_data(LOG_OVER_GRPC))
    .service(dispatching("/compare", web::post().to(compare)));
}

/// `POST /` → 200 `{"error":false,"message":"Hit the broker"}`.
async fn hit() -> HttpResponse {
    HttpResponse::Ok().json(JsonResponse::<()>::ok("Hit the broker"))
}

/// What a path fixes about the calls it dispatches (its resource's data):
/// only calls of `action`, sent over `transport` whatever they name.
#[derive(Clone, Copy)]
struct Pinned {
    action: Action,
    transport: Transport,
}

/// `POST /log-gRPC` (the `/handle` log body): the original's direct gRPC log path.
const LOG_OVER_GRPC: Pinned = Pinned {
    action: Action::Log,
    transport: Transport::Grpc,
};

/// `POST /handle`: dispatches the action over the transport it names, or as
/// the path has it [`Pinned`] (`/log-gRPC`); once its token (where one is
/// needed) checks out.
async fn handle(
    state: web::Data<BrokerState>,
    request: HttpRequest,
    dispatch: Result<Json<Dispatch>, Failure>,
) -> Result<HttpResponse, BrokerError> {
    // An invalid body is the broker's answer too (with the call's trace id).
    let Json(dispatch) = dispatch?;
    let action = dispatch.call.action();
    let route = match request.app_data::<Pinned>() {
        None => Route::of(&dispatch),
        Some(pinned) if action == pinned.action => Route::Call(pinned.transport),
        Some(_) => return Err(RequestError::WrongAction(action.as_str()).into()),
    };
    state.tokens.check(&request, action.as_str()).await?;
    let call = Arc::new(dispatch.call);
    answer(action, state.dispatcher.dispatch(&call, route).await)
}

/// `POST /compare`: runs one call per transport in the mode asked and reports
/// latency percentiles and throughput (see [`protocol::compare`]). One at a
/// time (429 otherwise); the answer's body is written while it runs, so a
/// client that leaves stops it ([`crate::comparisons`]): one JSON document, or
/// with `Accept: text/event-stream` its progress, then the report.
#[tracing::instrument(name = "compare", skip_all)]
async fn compare(
    state: web::Data<BrokerState>,
    request: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, BrokerError> {
    state.tokens.check(&request, crate::tokens::COMPARE).await?;
    let (body, _held) = receive(&edge_of(&request), payload.into_inner()).await?;
    let comparison = Comparison::parse(&body)?;
    let max_duration = state.compare_max_duration;
    let longest = crate::comparisons::longest(&comparison, max_duration);
    if longest > state.compare_max_total {
        return Err(RequestError::Invalid(format!(
            "this comparison may take up to {} s: this broker runs at most {} s \
             (COMPARE_MAX_TOTAL_SECONDS; closed runs count COMPARE_MAX_SECONDS each)",
            longest.as_secs(),
            state.compare_max_total.as_secs()
        ))
        .into());
    }
    let slot = state
        .comparisons
        .try_start(longest)
        .map_err(|retry_after_secs| BrokerError::ComparisonRunning { retry_after_secs })?;
    let streamed = wants_events(&request);
    let (observer, events) = if streamed {
        let (sender, events) = tokio::sync::mpsc::unbounded_channel();
        (Arc::new(Observer::sending(sender)), Some(events))
    } else {
        (Arc::new(Observer::default()), None)
    };
    let watched = Arc::clone(&observer);
    let run = async move {
        let _slot = slot;
        let report =
            crate::compare::run(&state.dispatcher, &comparison, max_duration, &watched).await;
        let message = match comparison.buses.len() {
            0 => format!(
                "compared {} over {} transport(s) in mode {}",
                report.action,
                comparison.transports.len(),
                report.mode
            ),
            buses => format!(
                "compared the {} event over {buses} bus(es) in mode {}",
                report.action, report.mode
            ),
        };
        let answer = JsonResponse::with_data(message, report);
        // Serializing plain data (strings, numbers, lists) does not fail.
        Bytes::from(serde_json::to_vec(&answer).unwrap_or_default())
    };
    // Its calls in the request's trace, although they run as the answer streams.
    let run = runtime::trace::carry(tracing::Instrument::in_current_span(run));
    Ok(match events {
        Some(events) => HttpResponse::Ok()
            .content_type("text/event-stream")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            // Proxies that buffer answers (nginx) pass this one on as it comes.
            .insert_header(("X-Accel-Buffering", "no"))
            .streaming(events_then(run, observer, events)),
        None => HttpResponse::Ok()
            .content_type(ContentType::json())
            .streaming(heartbeat_then(run)),
    })
}

/// Whether the request's `Accept` names `text/event-stream`.
fn wants_events(request: &HttpRequest) -> bool {
    request
        .headers()
        .get_all(header::ACCEPT)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|kind| {
            kind.split(';')
                .next()
                .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("text/event-stream"))
        })
}

/// Dispatches answered by `/handle` and `/log-gRPC`, by `action`, `transport`,
/// `outcome` (`ok` or [`crate::error::outcome`]).
pub const REQUESTS: &str = "flexi_broker_requests_total";
/// Their durations in seconds, same labels.
pub const REQUEST_DURATION: &str = "flexi_broker_request_duration_seconds";

/// The handles of [`REQUESTS`] and [`REQUEST_DURATION`].
static REQUEST_SERIES: Handles<(Counter, Histogram), 3> =
    Handles::new(|[action, transport, outcome]| {
        let labels = [
            ("action", action),
            ("transport", transport),
            ("outcome", outcome),
        ];
        (
            metrics::counter!(REQUESTS, &labels),
            metrics::histogram!(REQUEST_DURATION, &labels),
        )
    });

/// 202 with the answer, its transport and its time; or the error. Counts and
/// times the dispatch of `action` ([`REQUESTS`], [`REQUEST_DURATION`]).
fn answer(action: Action, dispatched: Dispatched) -> Result<HttpResponse, BrokerError> {
    let action = action.as_str();
    runtime::trace::set_call(action, dispatched.transport.as_str());
    let outcome = match &dispatched.result {
        Ok(_) => "ok",
        Err(error) => crate::error::outcome(error),
    };
    let labels = [action, dispatched.transport.as_str(), outcome];
    REQUEST_SERIES.with(labels, |(requests, duration)| {
        requests.increment(1);
        duration.record(dispatched.elapsed);
    });
    match dispatched.result {
        Ok(accepted) => {
            let mut body = JsonResponse::answered(accepted.message, accepted.data);
            // A ping's echo stays between the broker and the worker.
            body.echo = None;
            body.timing = Some(Timing::of(micros(dispatched.elapsed), accepted.timing));
            body.transport = Some(dispatched.transport);
            body.elapsed_ms = Some(millis(dispatched.elapsed));
            body.trace_id = runtime::trace::current_trace_id();
            Ok(HttpResponse::Accepted().json(body))
        }
        Err(error) => Err(BrokerError::Call {
            transport: dispatched.transport,
            elapsed: dispatched.elapsed,
            error,
        }),
    }
}
