//! The logger's one error type, and the one place it becomes an answer.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use protocol::WorkerError;
use runtime::http::{BodyError, error_response};

use crate::store::StoreError;

/// Everything that can go wrong while handling a call, on any transport.
#[derive(Debug, thiserror::Error)]
pub enum LoggerError {
    /// The body could not be read (400) or is too large (413).
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The body is not the JSON of a log entry (400).
    #[error("invalid JSON body: {0}")]
    Malformed(String),
    /// The entry is not acceptable (400).
    #[error("{0}")]
    Invalid(String),
    /// MongoDB failed or is unreachable (500 / 503).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl LoggerError {
    /// The contract's view of the error, shared by every transport.
    pub fn to_worker_error(&self) -> WorkerError {
        match self {
            LoggerError::Body(b) => WorkerError::Invalid(b.to_string()),
            LoggerError::Malformed(_) | LoggerError::Invalid(_) => {
                WorkerError::Invalid(self.to_string())
            }
            LoggerError::Store(StoreError::Unavailable(_) | StoreError::Closed) => {
                WorkerError::Unavailable(self.to_string())
            }
            LoggerError::Store(StoreError::Failed(_)) => WorkerError::Failed(self.to_string()),
        }
    }

    /// Logs the error with its cause chain (the client only sees the message).
    pub fn log(&self) {
        match self {
            LoggerError::Store(_) => tracing::error!(error = %self, cause = ?self, "call failed"),
            _ => tracing::info!(error = %self, "rejected a call"),
        }
    }
}

impl From<LoggerError> for WorkerError {
    fn from(e: LoggerError) -> Self {
        e.to_worker_error()
    }
}

impl ResponseError for LoggerError {
    fn status_code(&self) -> StatusCode {
        let code = match self {
            LoggerError::Body(BodyError::TooLarge(_)) => 413,
            // A worker answers its own failures with 500; the broker turns it into 502.
            other => other.to_worker_error().http_status(),
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        error_response(self.status_code(), self.to_string())
    }
}
