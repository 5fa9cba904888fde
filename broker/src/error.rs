//! The broker's one error type, and the one place it becomes an HTTP answer.

use std::time::Duration;

use actix_web::{
    Error, HttpResponse, ResponseError,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::{
        StatusCode,
        header::{RETRY_AFTER, WWW_AUTHENTICATE},
    },
    middleware::Next,
};
use clients::CallError;
use protocol::{JsonResponse, RequestError, Timing, Transport, WorkerError};
use runtime::http::{BodyError, Failure};
use runtime::timing::micros;

use crate::tokens::TokenError;

/// Everything that can make a broker call fail.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
    /// The body is not a valid request (400).
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The body could not be read (400, 408, 413, 503 `busy`) or is not a valid
    /// request, as the shared edge says ([`runtime::http::receive`] and its
    /// JSON extractor): its status and `Retry-After` are the edge's.
    #[error(transparent)]
    Edge(#[from] Failure),
    /// The call needs a token and has none, or an invalid one (401, with
    /// `WWW-Authenticate: Bearer`); or the keys cannot be fetched (503).
    #[error(transparent)]
    Token(#[from] crate::tokens::TokenError),
    /// The request comes from a page whose origin is not in `CORS_ORIGINS` (403).
    #[error(
        "requests from pages of the origin {} are not served here (CORS_ORIGINS)",
        protocol::text::quote(.0)
    )]
    OriginNotAllowed(String),
    /// The client sent more than its rate limit allows (429, with `Retry-After`).
    #[error("too many requests from this address; try again in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until the client's quota admits a request again.
        retry_after_secs: u64,
    },
    /// A comparison runs already (429, with `Retry-After`).
    #[error("a comparison is already running on this broker; try again in {retry_after_secs} s")]
    ComparisonRunning {
        /// Seconds until the running comparison ends at the latest.
        retry_after_secs: u64,
    },
    /// The dispatch to a worker failed:
    /// the worker rejected the input → 400; bad credentials → 401;
    /// the worker failed or answered off-contract → 502;
    /// the worker, its dependency or RabbitMQ is unreachable, or its circuit is
    /// open → 503; the worker shed the call (busy) → 503 with `Retry-After`;
    /// no answer in time → 504; larger than the transport takes → 413.
    #[error("{error}")]
    Call {
        /// The transport the call went over.
        transport: Transport,
        /// How long it took to fail.
        elapsed: Duration,
        /// What went wrong.
        error: CallError,
    },
}

impl ResponseError for BrokerError {
    fn status_code(&self) -> StatusCode {
        match self {
            BrokerError::Edge(failure) => failure.status_code(),
            BrokerError::ComparisonRunning { .. } | BrokerError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            BrokerError::OriginNotAllowed(_) => StatusCode::FORBIDDEN,
            BrokerError::Token(TokenError::KeysUnreachable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            BrokerError::Token(_) => StatusCode::UNAUTHORIZED,
            BrokerError::Request(_) => StatusCode::BAD_REQUEST,
            BrokerError::Call { error, .. } => match error {
                CallError::Worker(WorkerError::Invalid(_)) => StatusCode::BAD_REQUEST,
                CallError::Worker(WorkerError::Unauthorized) => StatusCode::UNAUTHORIZED,
                CallError::Worker(WorkerError::Failed(_)) | CallError::Protocol(_) => {
                    StatusCode::BAD_GATEWAY
                }
                CallError::Worker(WorkerError::Unavailable(_) | WorkerError::Busy(_))
                | CallError::Unreachable(_)
                | CallError::NotSent(_)
                | CallError::CircuitOpen(_) => StatusCode::SERVICE_UNAVAILABLE,
                CallError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
                CallError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            },
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut body = JsonResponse::<()>::error(self.to_string());
        body.trace_id = runtime::trace::current_trace_id();
        if let BrokerError::Call {
            transport, elapsed, ..
        } = self
        {
            body.transport = Some(*transport);
            body.elapsed_ms = Some(millis(*elapsed));
            body.timing = Some(Timing::of(micros(*elapsed), None));
        }
        let retry_after = self.retry_after_secs();
        // A flood must not become a flood of log lines. A refused client's
        // requests are not logged. Server-side failures (an outage, shedding)
        // repeat for every call while they last: each kind (status, transport,
        // outcome) is logged at most once a second, with how many like it were
        // not. A client's own errors (4xx) are logged each, with their trace,
        // since the rate limit already bounds them per client.
        if matches!(self, BrokerError::RateLimited { .. }) {
            tracing::debug!(%status, error = %self, "rejected a request");
        } else if !status.is_server_error() {
            tracing::info!(%status, error = %self, "rejected a request");
        } else {
            let kind = match self {
                BrokerError::Call {
                    transport, error, ..
                } => format!("{status} {transport} {}", outcome(error)),
                _ => status.as_str().to_owned(),
            };
            // One line per kind a second (`repeated`: how many like it were
            // not logged since the last one), through the process's throttle.
            if let Some(repeated) = runtime::log_throttle::global().admit(&kind) {
                // A server error that asks to be retried later is a shed call,
                // the worker protecting itself, not a fault: no WARN for it.
                if retry_after.is_none() {
                    tracing::warn!(%status, error = %self, cause = ?self, repeated, "dispatch failed");
                } else {
                    tracing::info!(%status, error = %self, repeated, "rejected a request");
                }
            }
        }
        let mut response = HttpResponse::build(status);
        if let Some(seconds) = retry_after {
            response.insert_header((RETRY_AFTER, seconds));
        }
        // RFC 6750: what a 401 for a token asks for.
        match self {
            BrokerError::Token(TokenError::Missing(_)) => {
                response.insert_header((WWW_AUTHENTICATE, r#"Bearer realm="flexiconnect""#));
            }
            BrokerError::Token(TokenError::Invalid(_)) => {
                let challenge = r#"Bearer realm="flexiconnect", error="invalid_token""#;
                response.insert_header((WWW_AUTHENTICATE, challenge));
            }
            _ => {}
        }
        response.json(body)
    }
}

impl From<BodyError> for BrokerError {
    fn from(error: BodyError) -> Self {
        BrokerError::Edge(Failure::Body(error))
    }
}

impl BrokerError {
    /// The seconds of the answer's `Retry-After`: a shed call's, or those until
    /// the running comparison ends.
    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            BrokerError::Call {
                error: CallError::Worker(error),
                ..
            } => error.retry_after_secs(),
            BrokerError::ComparisonRunning { retry_after_secs }
            | BrokerError::RateLimited { retry_after_secs } => Some(*retry_after_secs),
            BrokerError::Edge(failure) => failure.retry_after_secs(),
            _ => None,
        }
    }
}

/// The end of a middleware that may refuse a request before it is read: the
/// refusal's JSON answer, or the request passed on.
pub async fn refuse_or_pass<B: MessageBody>(
    refusal: Option<BrokerError>,
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    match refusal {
        Some(error) => Ok(request
            .into_response(error.error_response())
            .map_into_right_body()),
        None => next
            .call(request)
            .await
            .map(ServiceResponse::map_into_left_body),
    }
}

/// The `outcome` label of a failed dispatch: the kind of its error, as coarse
/// as its status (and `circuit_open` apart from the other 503s).
pub fn outcome(error: &CallError) -> &'static str {
    match error {
        CallError::Worker(WorkerError::Invalid(_)) => "rejected",
        CallError::Worker(WorkerError::Unauthorized) => "unauthorized",
        CallError::Worker(WorkerError::Failed(_)) | CallError::Protocol(_) => "failed",
        CallError::Worker(WorkerError::Unavailable(_))
        | CallError::Unreachable(_)
        | CallError::NotSent(_) => "unavailable",
        CallError::Worker(WorkerError::Busy(_)) => "busy",
        CallError::CircuitOpen(_) => "circuit_open",
        CallError::Timeout(_) => "timeout",
        CallError::TooLarge(_) => "too_large",
    }
}

/// A duration as fractional milliseconds (microsecond resolution).
pub fn millis(d: Duration) -> f64 {
    d.as_micros() as f64 / 1000.0
}
