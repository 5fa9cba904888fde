//! The workers, and what a worker answers, whatever the transport.
//!
//! A worker's failure travels as a [`WorkerError`]: as an HTTP status and JSON
//! error body, as a gRPC status, inside a tarpc `Result`, or inside an AMQP or
//! NATS reply. The mapping to HTTP and gRPC codes lives here and nowhere else,
//! so the broker reads a failure the same way on all five transports.

use serde::{Deserialize, Serialize};

/// The three workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Worker {
    /// Log entries in MongoDB; also answers `ping`.
    Logger,
    /// Users in Postgres.
    Authentication,
    /// Mail over SMTP.
    Mail,
}

impl Worker {
    /// Every worker.
    pub const ALL: [Worker; 3] = [Worker::Logger, Worker::Authentication, Worker::Mail];

    /// The worker's name (in errors, queue names and metrics).
    pub fn name(self) -> &'static str {
        match self {
            Worker::Logger => "logger",
            Worker::Authentication => "authentication",
            Worker::Mail => "mail",
        }
    }
}

impl std::fmt::Display for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One `T` per worker (its address, its client, its circuit breakers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerWorker<T> {
    /// The logger's.
    pub logger: T,
    /// The authentication service's.
    pub authentication: T,
    /// The mail service's.
    pub mail: T,
}

impl<T> PerWorker<T> {
    /// `make(worker)` for each worker.
    pub fn from_fn(mut make: impl FnMut(Worker) -> T) -> Self {
        Self {
            logger: make(Worker::Logger),
            authentication: make(Worker::Authentication),
            mail: make(Worker::Mail),
        }
    }

    /// The worker's `T`.
    pub fn get(&self, worker: Worker) -> &T {
        match worker {
            Worker::Logger => &self.logger,
            Worker::Authentication => &self.authentication,
            Worker::Mail => &self.mail,
        }
    }

    /// `f` applied to each worker's `T`.
    pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> PerWorker<U> {
        PerWorker::from_fn(|worker| f(self.get(worker)))
    }
}

/// Why a worker could not do what it was asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum WorkerError {
    /// The request is wrong and repeating it will not help (HTTP 400, gRPC
    /// `INVALID_ARGUMENT`).
    #[error("{0}")]
    Invalid(String),
    /// Bad credentials (HTTP 401, gRPC `UNAUTHENTICATED`).
    #[error("invalid credentials")]
    Unauthorized,
    /// A dependency of the worker (MongoDB, Postgres, SMTP) is unreachable; the
    /// same call may succeed later (HTTP 503, gRPC `UNAVAILABLE`).
    #[error("{0}")]
    Unavailable(String),
    /// The worker tried and failed (HTTP 502 at the broker, 500 at the worker;
    /// gRPC `INTERNAL`).
    #[error("{0}")]
    Failed(String),
    /// The worker is up but sheds the call: its queue for the work is full
    /// (HTTP 503 with `Retry-After`, gRPC `RESOURCE_EXHAUSTED`). Not a sign of
    /// an outage: it never opens a circuit.
    #[error("{0}")]
    Busy(String),
}

/// The seconds a shed call's `Retry-After` asks a caller to wait.
pub const BUSY_RETRY_AFTER_SECS: u64 = 1;

impl WorkerError {
    /// The HTTP status a worker answers this error with.
    pub fn http_status(&self) -> u16 {
        match self {
            WorkerError::Invalid(_) => 400,
            WorkerError::Unauthorized => 401,
            WorkerError::Unavailable(_) | WorkerError::Busy(_) => 503,
            WorkerError::Failed(_) => 500,
        }
    }

    /// Reads a worker's HTTP error answer back into a `WorkerError`
    /// (`retry_after`: the answer had a `Retry-After` header, which only a
    /// shed call's 503 has).
    pub fn from_http(status: u16, message: String, retry_after: bool) -> Self {
        match status {
            503 if retry_after => WorkerError::Busy(message),
            401 | 403 => WorkerError::Unauthorized,
            400..=499 => WorkerError::Invalid(message),
            502..=504 => WorkerError::Unavailable(message),
            _ => WorkerError::Failed(message),
        }
    }

    /// Whether a caller may try the same call again later (for a queue consumer:
    /// keep the message rather than dead-letter it).
    pub fn is_transient(&self) -> bool {
        matches!(self, WorkerError::Unavailable(_) | WorkerError::Busy(_))
    }

    /// The seconds a caller is asked to wait before trying again (the HTTP
    /// `Retry-After`): only a shed call has them.
    pub fn retry_after_secs(&self) -> Option<u64> {
        matches!(self, WorkerError::Busy(_)).then_some(BUSY_RETRY_AFTER_SECS)
    }

    /// Whether the worker could not do the work because it, or what it
    /// depends on, is down (what a circuit breaker counts): not a rejected or
    /// shed call.
    pub fn is_outage(&self) -> bool {
        matches!(self, WorkerError::Unavailable(_))
    }
}

#[cfg(feature = "grpc")]
impl From<WorkerError> for tonic::Status {
    fn from(e: WorkerError) -> Self {
        match e {
            WorkerError::Invalid(m) => tonic::Status::invalid_argument(m),
            WorkerError::Unauthorized => tonic::Status::unauthenticated("invalid credentials"),
            WorkerError::Unavailable(m) => tonic::Status::unavailable(m),
            WorkerError::Failed(m) => tonic::Status::internal(m),
            WorkerError::Busy(m) => tonic::Status::resource_exhausted(m),
        }
    }
}

#[cfg(feature = "grpc")]
impl WorkerError {
    /// Reads a gRPC status that the *worker* sent back into a `WorkerError`.
    /// (A status made by the client's own transport — connection refused,
    /// deadline — is the caller's to tell apart before calling this.)
    pub fn from_status(status: &tonic::Status) -> Self {
        let message = status.message().to_owned();
        match status.code() {
            tonic::Code::InvalidArgument
            | tonic::Code::FailedPrecondition
            | tonic::Code::OutOfRange
            | tonic::Code::NotFound
            | tonic::Code::AlreadyExists => WorkerError::Invalid(message),
            tonic::Code::Unauthenticated | tonic::Code::PermissionDenied => {
                WorkerError::Unauthorized
            }
            tonic::Code::Unavailable => WorkerError::Unavailable(message),
            tonic::Code::ResourceExhausted => WorkerError::Busy(message),
            _ => WorkerError::Failed(message),
        }
    }
}

#[cfg(all(test, feature = "grpc"))]
mod tests {
    use super::*;

    #[test]
    fn http_and_grpc_mappings_round_trip() {
        let all = [
            WorkerError::Invalid("bad".into()),
            WorkerError::Unauthorized,
            WorkerError::Unavailable("down".into()),
            WorkerError::Failed("boom".into()),
            WorkerError::Busy("busy".into()),
        ];
        for e in all {
            let retry_after = matches!(e, WorkerError::Busy(_));
            let via_http = WorkerError::from_http(e.http_status(), e.to_string(), retry_after);
            assert_eq!(via_http, e);
            let via_grpc = WorkerError::from_status(&tonic::Status::from(e.clone()));
            assert_eq!(via_grpc, e);
        }
    }
}
