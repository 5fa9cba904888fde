//! MongoDB access, with group-committed writes.
//!
//! [`LogStore::insert`] hands the entry to a small pool of writer tasks and waits
//! for its own result. A writer takes everything that is queued (up to
//! `write_batch_max`) and stores it with one unordered `insert_many`; while that
//! round trip is in flight, new entries queue up for the next one. Under no load an
//! entry is written alone at once; under load the number of round trips falls
//! instead of the throughput. Either way the caller's answer comes after MongoDB
//! acknowledged the write. [`LogStore::list`] answers the `logs` action
//! ([`list`]).

use std::{sync::Arc, time::Duration};

use mongodb::{
    Client, Collection, IndexModel,
    bson::{DateTime, doc, oid::ObjectId},
    error::ErrorKind,
    options::{ClientOptions, Credential},
};
use protocol::LogPayload;
use serde::{Deserialize, Serialize};
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::Settings;

mod batch;
mod list;

pub use batch::BATCHES_RETRIED;
use batch::write_batches;

/// Entries per `insert_many` (histogram).
pub const BATCH_SIZE: &str = "flexi_logger_batch_size";
/// Time of one `insert_many`, by `outcome` (`ok`, `unavailable`, `failed`).
pub const INSERT_DURATION: &str = "flexi_logger_insert_duration_seconds";

/// The collection's name, as in the Go original.
pub const COLLECTION: &str = "logs";

/// A document of `logs.logs`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogDocument {
    /// Its id: given by the logger before insertion (so a batch inserted again
    /// finds what was stored; see `batch`), absent only in documents written
    /// by others.
    #[serde(rename = "_id", skip_serializing_if = "Option::is_none")]
    pub id: Option<ObjectId>,
    /// The entry's name.
    pub name: String,
    /// The entry's content.
    pub data: String,
    /// When the entry was stored.
    pub created_at: DateTime,
    /// When the entry was last changed.
    pub updated_at: DateTime,
    /// The trace of the call that wrote it (absent in entries stored before
    /// entries kept it, and in documents written by others).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace_id: Option<String>,
}

/// A store operation that failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// MongoDB cannot be reached (or stopped answering): worth retrying later.
    #[error("MongoDB is unreachable")]
    Unavailable(#[source] Arc<mongodb::error::Error>),
    /// MongoDB answered with an error.
    #[error("MongoDB rejected the operation")]
    Failed(#[source] Arc<mongodb::error::Error>),
    /// The store is shutting down and takes no more writes.
    #[error("the logger is shutting down")]
    Closed,
}

impl From<mongodb::error::Error> for StoreError {
    fn from(e: mongodb::error::Error) -> Self {
        let unreachable = matches!(
            *e.kind,
            ErrorKind::ServerSelection { .. }
                | ErrorKind::Io(_)
                | ErrorKind::ConnectionPoolCleared { .. }
                | ErrorKind::DnsResolve { .. }
        );
        if unreachable {
            StoreError::Unavailable(Arc::new(e))
        } else {
            StoreError::Failed(Arc::new(e))
        }
    }
}

struct PendingWrite {
    document: LogDocument,
    done: oneshot::Sender<Result<(), StoreError>>,
}

/// The `logs` collection, with a pool of group-committing writers.
#[derive(Clone)]
pub struct LogStore {
    collection: Collection<LogDocument>,
    client: Client,
    writes: mpsc::Sender<PendingWrite>,
}

impl LogStore {
    /// Configures the client (no I/O: the driver connects on first use, so the
    /// logger starts even while MongoDB is still coming up) and starts the writers.
    /// The writers stop once every clone of the store is dropped and the queue is
    /// drained; await the returned handles to know every write was answered.
    pub async fn open(
        settings: &Settings,
    ) -> anyhow::Result<(Self, Vec<tokio::task::JoinHandle<()>>)> {
        let mut options = ClientOptions::parse(&settings.mongo_url).await?;
        let timeout = Duration::from_millis(settings.mongo_timeout_ms);
        options.app_name = Some("flexiconnect-logger".into());
        options.server_selection_timeout = Some(timeout);
        options.connect_timeout = Some(timeout);
        if let Some(username) = &settings.mongo_username {
            options.credential = Some(
                Credential::builder()
                    .username(username.clone())
                    .password(
                        settings
                            .mongo_password
                            .as_ref()
                            .map(|p| p.expose().to_owned()),
                    )
                    .build(),
            );
        }
        let client = Client::with_options(options)?;
        let collection = client
            .database(&settings.mongo_database)
            .collection::<LogDocument>(COLLECTION);

        tokio::spawn(create_indexes(collection.clone()));
        let (writes, queue) = mpsc::channel(settings.write_batch_max.max(1) * 4);
        let queue = Arc::new(Mutex::new(queue));
        let writers = (0..settings.write_concurrency.max(1))
            .map(|_| {
                tokio::spawn(write_batches(
                    collection.clone(),
                    queue.clone(),
                    settings.write_batch_max.max(1),
                ))
            })
            .collect();
        Ok((
            Self {
                collection,
                client,
                writes,
            },
            writers,
        ))
    }

    /// Stores one entry; returns once MongoDB has acknowledged it.
    pub async fn insert(&self, entry: LogPayload) -> Result<(), StoreError> {
        let now = DateTime::now();
        let document = LogDocument {
            // Given here, not by MongoDB: a batch inserted again after a dropped
            // connection finds what the first try stored as duplicates.
            id: Some(ObjectId::new()),
            name: entry.name.into(),
            data: entry.data,
            created_at: now,
            updated_at: now,
            trace_id: runtime::trace::current_trace_id(),
        };
        let (done, result) = oneshot::channel();
        self.writes
            .send(PendingWrite { document, done })
            .await
            .map_err(|_| StoreError::Closed)?;
        result.await.map_err(|_| StoreError::Closed)?
    }

    /// Checks that MongoDB answers (the readiness probe).
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.client
            .database("admin")
            .run_command(doc! { "ping": 1 })
            .await?;
        Ok(())
    }
}

/// The indexes the `logs` action's queries use, newest first: every entry,
/// by name (exact or prefix) and by trace id. Made in the background, tried
/// again every few seconds while MongoDB is not there yet (`createIndexes`
/// of an index that exists does nothing); a failure is logged, never fatal:
/// the queries still answer, by scanning.
async fn create_indexes(collection: Collection<LogDocument>) {
    let newest = |first: Option<&str>| {
        let mut keys = mongodb::bson::Document::new();
        if let Some(field) = first {
            keys.insert(field, 1);
        }
        keys.insert("created_at", -1);
        keys.insert("_id", -1);
        IndexModel::builder().keys(keys).build()
    };
    let indexes = [newest(None), newest(Some("name")), newest(Some("trace_id"))];
    for attempt in 1..=20 {
        match collection.create_indexes(indexes.clone()).await {
            Ok(_) => return tracing::debug!("the logs queries' indexes exist"),
            Err(error) if attempt == 20 => {
                return tracing::warn!(%error, "could not create the logs queries' indexes");
            }
            Err(_) => tokio::time::sleep(Duration::from_secs(3)).await,
        }
    }
}
