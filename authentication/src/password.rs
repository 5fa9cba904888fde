//! bcrypt, kept off the async runtime.

use std::sync::Arc;

use tokio::sync::{Semaphore, SemaphorePermit};

/// Calls waiting for a bcrypt permit (gauge).
pub const BCRYPT_WAITING: &str = "flexi_auth_bcrypt_waiting";

/// Verifies passwords on the blocking pool, at most one per CPU core at a time,
/// so a burst of logins queues instead of starving every other request.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    /// A hash of the configured cost that no password matches, for unknown users.
    dummy: Arc<str>,
    cost: u32,
}

/// bcrypt failed (a malformed stored hash, or the blocking task died).
#[derive(Debug, thiserror::Error)]
#[error("password check failed")]
pub struct HashError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

impl Hasher {
    /// Prepares the dummy hash (one bcrypt run at `cost`).
    pub async fn new(cost: u32) -> Result<Self, HashError> {
        let permits = Arc::new(Semaphore::new(
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        ));
        let dummy = blocking(move || bcrypt::hash("no password matches this hash", cost)).await?;
        Ok(Self {
            permits,
            dummy: dummy.into(),
            cost,
        })
    }

    /// Hashes `password` at the configured cost.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let _permit = self.permit().await?;
        let cost = self.cost;
        blocking(move || bcrypt::hash(password, cost)).await
    }

    /// Whether `password` matches `hash`; with no hash (unknown user) the dummy
    /// is checked instead and the answer is `false`, after the same work.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError> {
        let _permit = self.permit().await?;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy.to_string());
        let matches = blocking(move || bcrypt::verify(password, &hash)).await?;
        Ok(known && matches)
    }
}

impl Hasher {
    /// Waits for a permit, counted in [`BCRYPT_WAITING`] while it waits (also
    /// when the wait is abandoned).
    async fn permit(&self) -> Result<SemaphorePermit<'_>, HashError> {
        struct Waiting;
        impl Drop for Waiting {
            fn drop(&mut self) {
                metrics::gauge!(BCRYPT_WAITING).decrement(1.0);
            }
        }
        metrics::gauge!(BCRYPT_WAITING).increment(1.0);
        let _waiting = Waiting;
        self.permits
            .acquire()
            .await
            .map_err(|e| HashError(e.into()))
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> bcrypt::BcryptResult<T> + Send + 'static,
) -> Result<T, HashError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| HashError(e.into()))?
        .map_err(|e| HashError(e.into()))
}
