//! How the service's failures reach a caller: as the contract's [`WorkerError`],
//! after their cause chain was logged (never a password or hash: no error holds
//! one).

use protocol::WorkerError;
use runtime::worker::{failed, unavailable};

use crate::{password::HashError, store::StoreError};

impl From<StoreError> for WorkerError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) | StoreError::NotReady => unavailable(&e),
            StoreError::Failed(_) => failed(&e),
        }
    }
}

impl From<HashError> for WorkerError {
    fn from(e: HashError) -> Self {
        match e {
            // Shed on purpose, counted in `flexi_auth_bcrypt_shed_total`: no log line
            // per call (a burst would write one per login).
            HashError::Busy => WorkerError::Busy(e.to_string()),
            HashError::Failed(_) => failed(&e),
        }
    }
}

/// Unknown e-mail or wrong password: one answer for both.
pub fn invalid_credentials() -> WorkerError {
    let error = WorkerError::Unauthorized;
    tracing::info!(%error, "rejected a login");
    error
}
