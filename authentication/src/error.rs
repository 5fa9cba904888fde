//! How the service's failures reach a caller: as the contract's [`WorkerError`],
//! after their cause chain was logged here (never a password or hash: no error
//! holds one).

use protocol::WorkerError;

use crate::{password::HashError, store::StoreError};

impl From<StoreError> for WorkerError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, cause = ?e, "authentication failed");
        match e {
            StoreError::Unavailable(_) | StoreError::NotReady => {
                WorkerError::Unavailable(e.to_string())
            }
            StoreError::Failed(_) => WorkerError::Failed(e.to_string()),
        }
    }
}

impl From<HashError> for WorkerError {
    fn from(e: HashError) -> Self {
        tracing::error!(error = %e, cause = ?e, "authentication failed");
        WorkerError::Failed(e.to_string())
    }
}

/// Unknown e-mail or wrong password: one answer for both.
pub fn invalid_credentials() -> WorkerError {
    let error = WorkerError::Unauthorized;
    tracing::info!(%error, "rejected a login");
    error
}
