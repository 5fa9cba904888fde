//! The writers: group-committed batches, inserted once more after a dropped
//! connection.

use std::sync::Arc;

use metrics::Histogram;
use mongodb::{
    Collection,
    error::{ErrorKind, InsertManyError},
};
use runtime::metrics::Handles;
use tokio::sync::{Mutex, mpsc};

use super::{BATCH_SIZE, INSERT_DURATION, LogDocument, PendingWrite, StoreError};

/// One writer: take what is queued, store it in one round trip, answer everyone.
pub(super) async fn write_batches(
    collection: Collection<LogDocument>,
    queue: Arc<Mutex<mpsc::Receiver<PendingWrite>>>,
    batch_max: usize,
) {
    loop {
        let batch = {
            let mut queue = queue.lock().await;
            let Some(first) = queue.recv().await else {
                return;
            };
            let mut batch = vec![first];
            while batch.len() < batch_max {
                match queue.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            batch
        };
        let (documents, waiters): (Vec<_>, Vec<_>) =
            batch.into_iter().map(|p| (p.document, p.done)).unzip();
        let count = documents.len();
        let started = std::time::Instant::now();
        let result = store_batch(&collection, &documents).await;
        let outcome = match &result {
            Ok(()) => "ok",
            Err(StoreError::Unavailable(_)) => "unavailable",
            Err(_) => "failed",
        };
        BATCH_SERIES.with([outcome], |(size, duration)| {
            size.record(count as f64);
            duration.record(started.elapsed());
        });
        match &result {
            Ok(()) => tracing::debug!(count, "stored log entries"),
            Err(error) => {
                runtime::throttled!(error, "storing log entries failed", count, error = %error, cause = ?error)
            }
        }
        for waiter in waiters {
            // The caller may have given up (timeout); its entry is stored regardless.
            let _ = waiter.send(result.clone());
        }
    }
}

/// The handles of [`BATCH_SIZE`] and, by `outcome`, [`INSERT_DURATION`]
/// (registered once: every call's batch records them).
static BATCH_SERIES: Handles<(Histogram, Histogram), 1> = Handles::new(|[outcome]| {
    (
        metrics::histogram!(BATCH_SIZE),
        metrics::histogram!(INSERT_DURATION, "outcome" => outcome),
    )
});

/// Batches inserted again after a dropped connection (counter).
pub const BATCHES_RETRIED: &str = "flexi_logger_batches_retried_total";

/// MongoDB's code for a duplicate key.
const DUPLICATE_KEY: i32 = 11000;

/// Stores a batch. When the connection drops mid-insert, MongoDB may have
/// stored all, some or none of it: the batch is inserted once more on a new
/// connection, and the entries the first try stored (same `_id`) come back as
/// duplicate keys, which count as stored. So a caller's success means stored
/// exactly once, and a transient drop is not an error.
async fn store_batch(
    collection: &Collection<LogDocument>,
    documents: &[LogDocument],
) -> Result<(), StoreError> {
    match insert_once(collection, documents).await {
        Err(error) if connection_dropped(&error) => {
            tracing::warn!(count = documents.len(), %error, "connection dropped mid-insert; inserting the batch once more");
            metrics::counter!(BATCHES_RETRIED).increment(1);
            insert_once(collection, documents)
                .await
                .map_err(StoreError::from)
        }
        result => result.map_err(StoreError::from),
    }
}

/// One unordered `insert_many`; duplicate keys alone (entries already stored)
/// are a success.
async fn insert_once(
    collection: &Collection<LogDocument>,
    documents: &[LogDocument],
) -> Result<(), mongodb::error::Error> {
    match collection.insert_many(documents).ordered(false).await {
        Ok(_) => Ok(()),
        Err(error) if only_duplicates(&error) => Ok(()),
        Err(error) => Err(error),
    }
}

/// The connection broke under the operation (not: MongoDB cannot be found).
fn connection_dropped(error: &mongodb::error::Error) -> bool {
    matches!(
        *error.kind,
        ErrorKind::Io(_) | ErrorKind::ConnectionPoolCleared { .. }
    )
}

fn only_duplicates(error: &mongodb::error::Error) -> bool {
    match &*error.kind {
        ErrorKind::InsertMany(InsertManyError {
            write_errors: Some(errors),
            write_concern_error: None,
            ..
        }) => !errors.is_empty() && errors.iter().all(|e| e.code == DUPLICATE_KEY),
        _ => false,
    }
}
