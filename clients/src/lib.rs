//! # flexi-clients
//!
//! Clients of the workers over HTTP, tarpc and gRPC, used by the broker (all
//! three) and by the listener (HTTP, to carry AMQP calls to the workers).
//! Every client is long-lived and shared, puts a deadline on every call, and
//! recovers on its own after the worker restarts.
//!
//! ## Layout
//! - [`CallError`]: how a call can fail, whatever the transport.
//! - [`http`]: reqwest with a keep-alive pool, to the workers' original paths.
//! - [`rpc`]: a tarpc client that reconnects lazily after its connection broke.
//! - [`breaker`]: a circuit breaker, so a dead worker costs fast failures.
//! - [`grpc`]: tonic channels connected lazily (they reconnect by themselves).

pub mod breaker;
pub mod grpc;
pub mod http;
pub mod rpc;

use protocol::WorkerError;

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
}

impl From<CallError> for WorkerError {
    /// How a hop that forwards a call (the listener) reports it to its own caller.
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
