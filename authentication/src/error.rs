//! The authentication service's one error type, and the one place it becomes an
//! answer.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use protocol::WorkerError;
use runtime::http::{BodyError, error_response};

use crate::{password::HashError, store::StoreError};

/// Everything that can go wrong while authenticating, on any transport.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The body could not be read (400) or is too large (413).
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The body or the credentials are malformed (400).
    #[error("{0}")]
    Invalid(String),
    /// Unknown e-mail or wrong password: one message for both (401).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Postgres is unreachable or not ready (503), or failed (500).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// bcrypt failed (500).
    #[error(transparent)]
    Hash(#[from] HashError),
}

impl AuthError {
    /// The contract's view of the error, shared by every transport.
    pub fn to_worker_error(&self) -> WorkerError {
        match self {
            AuthError::Body(b) => WorkerError::Invalid(b.to_string()),
            AuthError::Invalid(m) => WorkerError::Invalid(m.clone()),
            AuthError::InvalidCredentials => WorkerError::Unauthorized,
            AuthError::Store(StoreError::Unavailable(_) | StoreError::NotReady) => {
                WorkerError::Unavailable(self.to_string())
            }
            AuthError::Store(StoreError::Failed(_)) | AuthError::Hash(_) => {
                WorkerError::Failed(self.to_string())
            }
        }
    }

    /// Logs the error with its cause chain (never a password or hash: no variant
    /// holds one).
    pub fn log(&self) {
        match self {
            AuthError::Store(_) | AuthError::Hash(_) => {
                tracing::error!(error = %self, cause = ?self, "authentication failed")
            }
            _ => tracing::info!(error = %self, "rejected a login"),
        }
    }
}

impl From<AuthError> for WorkerError {
    fn from(e: AuthError) -> Self {
        e.to_worker_error()
    }
}

impl ResponseError for AuthError {
    fn status_code(&self) -> StatusCode {
        let code = match self {
            AuthError::Body(BodyError::TooLarge(_)) => 413,
            other => other.to_worker_error().http_status(),
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        error_response(self.status_code(), self.to_string())
    }
}
