//! bcrypt, kept off the async runtime, with a bounded queue: past it, a login
//! is shed at once (busy) instead of waiting until its caller times out.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, SemaphorePermit};

/// Calls waiting for a bcrypt permit (gauge).
pub const BCRYPT_WAITING: &str = "flexi_auth_bcrypt_waiting";
/// Calls shed because the bcrypt queue was full (counter).
pub const BCRYPT_SHED: &str = "flexi_auth_bcrypt_shed_total";

/// Verifies passwords on the blocking pool, at most one per CPU core at a time;
/// at most `queue` more wait, so a burst of logins (one client's or many) is
/// shed with [`HashError::Busy`] rather than piling up behind bcrypt.
#[derive(Clone)]
pub struct Hasher {
    /// One per CPU core: the bcrypt runs at once.
    permits: Arc<Semaphore>,
    /// Cores plus queue: the calls admitted at all (running or waiting).
    admitted: Arc<Semaphore>,
    /// A hash of the configured cost that no password matches, for unknown users.
    dummy: Arc<str>,
    cost: u32,
}

/// Why a password could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// The queue is full: the call was shed without any bcrypt work.
    #[error("authentication is busy: too many password checks are waiting; try again shortly")]
    Busy,
    /// bcrypt failed (a malformed stored hash, or the blocking task died).
    #[error("password check failed")]
    Failed(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl Hasher {
    /// Prepares the dummy hash (one bcrypt run at `cost`); at most `queue`
    /// calls wait for a core.
    pub async fn new(cost: u32, queue: usize) -> Result<Self, HashError> {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let dummy = blocking(move || bcrypt::hash("no password matches this hash", cost)).await?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(cores)),
            admitted: Arc::new(Semaphore::new(cores + queue)),
            dummy: dummy.into(),
            cost,
        })
    }

    /// Hashes `password` at the configured cost.
    pub async fn hash(&self, password: String) -> Result<String, HashError> {
        let _admitted = self.admit()?;
        let _permit = self.permit().await?;
        let cost = self.cost;
        blocking(move || bcrypt::hash(password, cost)).await
    }

    /// Whether `password` matches `hash`; with no hash (unknown user) the dummy
    /// is checked instead and the answer is `false`, after the same work.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, HashError> {
        let _admitted = self.admit()?;
        let _permit = self.permit().await?;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy.to_string());
        let matches = blocking(move || bcrypt::verify(password, &hash)).await?;
        Ok(known && matches)
    }
}

impl Hasher {
    /// A place among the calls running or waiting, or [`HashError::Busy`] at once.
    fn admit(&self) -> Result<OwnedSemaphorePermit, HashError> {
        self.admitted.clone().try_acquire_owned().map_err(|_| {
            metrics::counter!(BCRYPT_SHED).increment(1);
            HashError::Busy
        })
    }

    /// Waits for a core, counted in [`BCRYPT_WAITING`] while it waits (also
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
            .map_err(|e| HashError::Failed(e.into()))
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> bcrypt::BcryptResult<T> + Send + 'static,
) -> Result<T, HashError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| HashError::Failed(e.into()))?
        .map_err(|e| HashError::Failed(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_sheds_the_next_check_at_once_and_admits_again_after() {
        let hasher = Hasher::new(4, 0).await.expect("a hasher");
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        // Every core busy and no queue: the next check is shed without waiting.
        let held: Vec<_> = (0..cores)
            .map(|_| hasher.admit().expect("a place"))
            .collect();
        let shed = hasher.verify("secret".into(), None).await;
        assert!(matches!(shed, Err(HashError::Busy)), "{shed:?}");
        drop(held);
        let checked = hasher.verify("secret".into(), None).await;
        assert!(matches!(checked, Ok(false)), "{checked:?}");
    }
}
