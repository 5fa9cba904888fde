//! # flexi-clients
//!
//! How a service calls a worker: one [`tower::Service`] per transport, each
//! taking a [`Request`] (a [`Call`] and its deadline) and answering the
//! worker's [`Answer`], and one stack of layers composed over any of them
//! ([`stack`]): the deadline, the circuit breaker, the retry where it is safe.
//! The broker holds one per transport; the listener and the authentication
//! service need only HTTP (the other transports are cargo features, so they
//! do not link them). Every client is long-lived and shared, and recovers on
//! its own after the worker (or RabbitMQ) restarts.
//!
//! ## Layout
//! - [`CallError`]: how a call can fail, whatever the transport.
//! - [`layers`]: the one deadline of a call, the retry policy, the in-flight
//!   gauge; [`breaker`]: a circuit breaker per worker and transport.
//! - One file per transport, each a `Service<Request>`: [`http`] (`POST /call`
//!   with a keep-alive pool), `rpc` (feature `rpc`: tarpc), `grpc` (feature
//!   `grpc`: tonic, `flexi.Worker/Call`), `amqp` (feature `amqp`: request/reply
//!   to each worker's queue, and the Go original's log event), `nats` (feature
//!   `nats`: request/reply to each worker's subject, and the log event on
//!   JetStream).
//!
//! Adding an action changes nothing here: every client carries any [`Call`].

#[cfg(feature = "amqp")]
pub mod amqp;
pub mod breaker;
#[cfg(feature = "grpc")]
pub mod grpc;
pub mod http;
pub mod layers;
#[cfg(feature = "nats")]
pub mod nats;
#[cfg(feature = "rpc")]
pub mod rpc;

use std::{
    future::Future,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use protocol::{Answer, Call, Transport, WorkerError};
use tokio::time::Instant;
use tower::{ServiceBuilder, util::BoxCloneSyncService};

/// One call to send: what, and by when its answer must be back. The deadline
/// is set once, when the request arrived, and every step of every transport
/// (connecting, publishing, waiting for the reply) shares it.
#[derive(Debug, Clone)]
pub struct Request {
    /// The call (shared: a retry sends the same one again).
    pub call: Arc<Call>,
    /// When the answer must be back.
    pub deadline: Instant,
}

impl Request {
    /// `call`, due `timeout` from now.
    pub fn new(call: Call, timeout: Duration) -> Self {
        Self {
            call: Arc::new(call),
            deadline: Instant::now() + timeout,
        }
    }

    /// The worker's name, for errors.
    pub fn worker(&self) -> &'static str {
        self.call.worker().name()
    }

    /// The time left until the deadline.
    pub fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }
}

/// A transport's client with the layers of [`stack`]: what a caller holds.
pub type CallService = BoxCloneSyncService<Request, Answer, CallError>;

/// What one transport's client does: send a request and wait for its answer.
/// Cheap to clone (its connections are shared); [`Client`] makes it a
/// [`tower::Service`].
pub trait Sender: Clone + Send + Sync + 'static {
    /// Sends `request` to the worker that serves its call and waits for the
    /// answer (the deadline is kept by [`layers::Deadline`], not here).
    fn send(self, request: Request) -> impl Future<Output = Result<Answer, CallError>> + Send;
}

/// A boxed answer.
pub type Answering = Pin<Box<dyn Future<Output = Result<Answer, CallError>> + Send>>;

/// A [`Sender`] as a [`tower::Service`], always ready.
#[derive(Debug, Clone)]
pub struct Client<T>(pub T);

impl<T: Sender> tower::Service<Request> for Client<T> {
    type Response = Answer;
    type Error = CallError;
    type Future = Answering;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Answering {
        Box::pin(self.0.clone().send(request))
    }
}

/// `client` (one transport's) behind the layers every transport shares,
/// outermost first: the circuit breaker of the call's worker over
/// `transport`, when there are `breakers` (admits or fails fast; counts what
/// the retried call ended as), the call's one deadline ([`layers::Deadline`]), and one retry where it
/// is safe ([`layers::RetryOnce`]): a reconnect never counts against the
/// worker, and a call that may have reached it is not sent twice unless it is
/// idempotent.
pub fn stack(
    client: impl Sender,
    transport: Transport,
    breakers: Option<Arc<breaker::Breakers>>,
) -> CallService {
    let service = ServiceBuilder::new()
        .option_layer(breakers.map(|b| breaker::BreakerLayer::new(b, transport)))
        .layer(tower::layer::layer_fn(layers::Deadline))
        .layer(tower::retry::RetryLayer::new(layers::RetryOnce::default()))
        .service(Client(client));
    BoxCloneSyncService::new(service)
}

/// Why a call to a worker failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The worker could not be reached (connection refused, reset, DNS), or
    /// the connection broke while the call was on it: it may have reached the
    /// worker.
    #[error("{0} is unreachable")]
    Unreachable(String),
    /// The pooled connection was closed before the call was sent on it (its
    /// task had ended, its channel was closed): the call did not reach the
    /// worker and may be sent again on a new connection, whatever it is.
    #[error("{0} is unreachable")]
    NotSent(String),
    /// No answer within the deadline.
    #[error("{0} did not answer in time")]
    Timeout(String),
    /// The worker answered with a failure of its own.
    #[error(transparent)]
    Worker(#[from] WorkerError),
    /// The worker answered something that is not the contract.
    #[error("{0} sent an invalid answer")]
    Protocol(String),
    /// Recent calls found the worker unreachable; this one was not tried.
    #[error("{0} is unavailable (circuit open)")]
    CircuitOpen(String),
    /// The call is larger than the transport takes in one message; it was not
    /// sent.
    #[error("{0}")]
    TooLarge(String),
}

impl CallError {
    /// Whether the same call may succeed later (a queue consumer keeps the message).
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::Unreachable(_)
            | CallError::NotSent(_)
            | CallError::Timeout(_)
            | CallError::CircuitOpen(_) => true,
            CallError::Worker(e) => e.is_transient(),
            CallError::Protocol(_) | CallError::TooLarge(_) => false,
        }
    }

    /// Whether the call says the worker is down or unreachable: what opens a
    /// circuit. A rejected, unauthorized or shed (busy) call proves it is up.
    pub fn is_outage(&self) -> bool {
        match self {
            CallError::Worker(e) => e.is_outage(),
            CallError::Protocol(_) | CallError::TooLarge(_) => false,
            _ => self.is_transient(),
        }
    }
}

impl From<CallError> for WorkerError {
    /// How a hop that forwards a call reports it to its own caller.
    fn from(e: CallError) -> Self {
        match e {
            CallError::Worker(w) => w,
            CallError::Protocol(_) => WorkerError::Failed(e.to_string()),
            CallError::TooLarge(_) => WorkerError::Invalid(e.to_string()),
            _ => WorkerError::Unavailable(e.to_string()),
        }
    }
}
