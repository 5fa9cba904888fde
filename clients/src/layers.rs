//! The layers every transport's client is composed with ([`crate::stack`]),
//! and the broker's in-flight gauge.

use std::{
    task::{Context, Poll},
    time::Duration,
};

use protocol::{Answer, Transport};
use tower::{Service, ServiceExt, util::BoxCloneSyncService};

use crate::{Answering, CallError, CallService, Request};

/// The call's one deadline: the answer is due at [`Request::deadline`],
/// whatever step the call is at (connecting, publishing, waiting for the
/// reply); past it, [`CallError::Timeout`]. The transports do not time their
/// steps themselves, so which step was too slow never changes the error.
#[derive(Debug, Clone)]
pub struct Deadline<S>(pub S);

impl<S> Service<Request> for Deadline<S>
where
    S: Service<Request, Response = Answer, Error = CallError>,
    S::Future: Send + 'static,
{
    type Response = Answer;
    type Error = CallError;
    type Future = Answering;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Answering {
        let (deadline, worker) = (request.deadline, request.worker());
        let answer = self.0.call(request);
        Box::pin(async move {
            tokio::time::timeout_at(deadline, answer)
                .await
                .unwrap_or_else(|_| Err(CallError::Timeout(worker.to_owned())))
        })
    }
}

/// How long an idempotent call waits before it is tried again after its
/// worker could not be reached.
pub const RETRY_UNREACHABLE_AFTER: Duration = Duration::from_millis(50);

/// One more try, where it is safe ([`tower::retry::Policy`]):
/// - at once, on a new connection, for any call that was not sent
///   ([`CallError::NotSent`]: its pooled connection was already closed);
/// - after [`RETRY_UNREACHABLE_AFTER`], for a call that may have reached its
///   worker or found it unreachable, only when repeating it changes nothing
///   ([`protocol::Action::is_idempotent`]): a log entry or a mail is never
///   sent twice.
#[derive(Debug, Clone, Default)]
pub struct RetryOnce {
    retried: bool,
}

impl tower::retry::Policy<Request, Answer, CallError> for RetryOnce {
    type Future = tokio::time::Sleep;

    fn retry(
        &mut self,
        request: &mut Request,
        result: &mut Result<Answer, CallError>,
    ) -> Option<Self::Future> {
        let wait = match result {
            Err(CallError::NotSent(_)) => Duration::ZERO,
            Err(CallError::Unreachable(_)) if request.call.action().is_idempotent() => {
                RETRY_UNREACHABLE_AFTER
            }
            _ => return None,
        };
        if std::mem::replace(&mut self.retried, true) {
            return None;
        }
        Some(tokio::time::sleep(wait))
    }

    fn clone_request(&mut self, request: &Request) -> Option<Request> {
        Some(request.clone())
    }
}

/// Calls to workers in flight, by `transport` (gauge).
pub const CALLS_IN_FLIGHT: &str = "flexi_broker_calls_in_flight";

/// The handles of [`CALLS_IN_FLIGHT`].
static IN_FLIGHT: runtime::metrics::Handles<metrics::Gauge, 1> = runtime::metrics::Handles::new(
    |[transport]| metrics::gauge!(CALLS_IN_FLIGHT, "transport" => transport),
);

/// `service`, each of whose calls is counted in [`CALLS_IN_FLIGHT`] until its
/// answer or its caller leaving (the broker's outermost layer).
pub fn in_flight(service: CallService, transport: Transport) -> CallService {
    BoxCloneSyncService::new(service.map_future(move |answer| async move {
        let _counted = Counted::new(transport);
        answer.await
    }))
}

/// One call counted until dropped.
struct Counted(Transport);

impl Counted {
    fn new(transport: Transport) -> Self {
        IN_FLIGHT.with([transport.as_str()], |calls| calls.increment(1.0));
        Self(transport)
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        IN_FLIGHT.with([self.0.as_str()], |calls| calls.decrement(1.0));
    }
}
