//! # flexi-clients
//!
//! One interface, [`WorkerClient`], to call a worker with a [`Call`], and its
//! implementation for each transport. The broker holds all four; the listener
//! and the authentication service need only HTTP (the other transports are
//! cargo features, so they do not link them). Every client is long-lived and
//! shared, puts a deadline on every call, and recovers on its own after the
//! worker (or RabbitMQ) restarts.
//!
//! ## Layout
//! - [`CallError`]: how a call can fail, whatever the transport.
//! - [`http`]: reqwest with a keep-alive pool, to the workers' original paths.
//! - `rpc` (feature `rpc`): tarpc clients that reconnect after their connection broke.
//! - `grpc` (feature `grpc`): tonic channels connected lazily (they reconnect by themselves).
//! - `amqp` (feature `amqp`): RabbitMQ request/reply to each worker's queue, and the
//!   Go original's fire-and-forget log event.
//! - [`breaker`]: a circuit breaker, so a dead worker costs fast failures.
//!
//! Adding an action is one arm in each client's `call` (its path, method or
//! message); AMQP carries the [`Call`] as it is.

#[cfg(feature = "amqp")]
pub mod amqp;
pub mod breaker;
#[cfg(feature = "grpc")]
pub mod grpc;
pub mod http;
#[cfg(feature = "rpc")]
pub mod rpc;

use std::future::Future;

use protocol::{Answer, Call, WorkerError};

/// A client of the workers over one transport.
pub trait WorkerClient: Send + Sync {
    /// Sends `call` to the worker that serves it ([`Call::worker`]) and waits for
    /// its answer, at most the client's deadline.
    fn call(&self, call: &Call) -> impl Future<Output = Result<Answer, CallError>> + Send;
}

/// Why a call to a worker failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The worker could not be reached (connection refused, reset, DNS).
    #[error("{0} is unreachable")]
    Unreachable(String),
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
}

impl CallError {
    /// Whether the same call may succeed later (a queue consumer keeps the message).
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::Unreachable(_) | CallError::Timeout(_) | CallError::CircuitOpen(_) => true,
            CallError::Worker(e) => e.is_transient(),
            CallError::Protocol(_) => false,
        }
    }

    /// Whether the call says the worker is down or unreachable: what opens a
    /// circuit. A rejected, unauthorized or shed (busy) call proves it is up.
    pub fn is_outage(&self) -> bool {
        match self {
            CallError::Unreachable(_) | CallError::Timeout(_) | CallError::CircuitOpen(_) => true,
            CallError::Worker(e) => e.is_outage(),
            CallError::Protocol(_) => false,
        }
    }
}

impl From<CallError> for WorkerError {
    /// How a hop that forwards a call reports it to its own caller.
    fn from(e: CallError) -> Self {
        match e {
            CallError::Worker(w) => w,
            CallError::Unreachable(_) | CallError::Timeout(_) | CallError::CircuitOpen(_) => {
                WorkerError::Unavailable(e.to_string())
            }
            CallError::Protocol(_) => WorkerError::Failed(e.to_string()),
        }
    }
}
