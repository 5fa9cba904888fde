//! The mail service's failures, and how they reach a caller: as the contract's
//! [`WorkerError`], after their cause chain was logged here.

use protocol::WorkerError;
use runtime::worker::{failed, unavailable};

/// Everything that can go wrong while sending, on any transport.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address lettre does not accept (400).
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

impl From<MailError> for WorkerError {
    fn from(e: MailError) -> Self {
        match &e {
            MailError::Invalid(m) => {
                tracing::info!(error = %e, "rejected a mail");
                WorkerError::Invalid(m.clone())
            }
            MailError::Unavailable(_) => unavailable(&e),
            MailError::Render(_) | MailError::Inline(_) | MailError::Rejected(_) => failed(&e),
        }
    }
}
