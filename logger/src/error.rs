//! How the store's failures reach a caller: as the contract's [`WorkerError`],
//! after their cause chain was logged (the caller only sees the message).

use protocol::WorkerError;
use runtime::worker::{failed, unavailable};

use crate::store::StoreError;

impl From<StoreError> for WorkerError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) | StoreError::Closed => unavailable(&e),
            StoreError::Failed(_) => failed(&e),
        }
    }
}
