//! How the store's failures reach a caller: as the contract's [`WorkerError`],
//! after their cause chain was logged here (the caller only sees the message).

use protocol::WorkerError;

use crate::store::StoreError;

impl From<StoreError> for WorkerError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, cause = ?e, "storing failed");
        match e {
            StoreError::Unavailable(_) | StoreError::Closed => {
                WorkerError::Unavailable(e.to_string())
            }
            StoreError::Failed(_) => WorkerError::Failed(e.to_string()),
        }
    }
}
