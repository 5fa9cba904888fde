//! The mail service's one error type, and the one place it becomes an answer.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use protocol::WorkerError;
use runtime::http::{BodyError, error_response};

/// Everything that can go wrong while sending, on any transport.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The body could not be read (400) or is too large (413).
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The payload is malformed: bad JSON, an invalid address (400).
    #[error("{0}")]
    Invalid(String),
    /// A template failed to render (500).
    #[error("the mail could not be rendered")]
    Render(#[source] askama::Error),
    /// CSS inlining failed (500).
    #[error("the mail's CSS could not be inlined")]
    Inline(#[source] css_inline::InlineError),
    /// The SMTP server is unreachable or answered with a temporary failure (503).
    #[error("the SMTP server is unavailable")]
    Unavailable(#[source] lettre::transport::smtp::Error),
    /// The SMTP server refused the mail for good (500 here, 502 at the broker).
    #[error("the SMTP server rejected the mail")]
    Rejected(#[source] lettre::transport::smtp::Error),
}

impl MailError {
    /// The contract's view of the error, shared by every transport.
    pub fn to_worker_error(&self) -> WorkerError {
        match self {
            MailError::Body(b) => WorkerError::Invalid(b.to_string()),
            MailError::Invalid(m) => WorkerError::Invalid(m.clone()),
            MailError::Unavailable(_) => WorkerError::Unavailable(self.to_string()),
            MailError::Render(_) | MailError::Inline(_) | MailError::Rejected(_) => {
                WorkerError::Failed(self.to_string())
            }
        }
    }

    /// Logs the error with its cause chain.
    pub fn log(&self) {
        match self {
            MailError::Body(_) | MailError::Invalid(_) => {
                tracing::info!(error = %self, "rejected a mail")
            }
            _ => tracing::error!(error = %self, cause = ?self, "sending a mail failed"),
        }
    }
}

impl From<MailError> for WorkerError {
    fn from(e: MailError) -> Self {
        e.to_worker_error()
    }
}

impl ResponseError for MailError {
    fn status_code(&self) -> StatusCode {
        let code = match self {
            MailError::Body(BodyError::TooLarge(_)) => 413,
            other => other.to_worker_error().http_status(),
        };
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        error_response(self.status_code(), self.to_string())
    }
}
