//! The shared Mongo-wire server: a database of its own per test
//! ([`TestMongo`]) and the filters tests look up log entries with.

use std::time::{Duration, Instant};

use mongodb::{
    Client, Database,
    bson::{Document, doc},
};

use crate::names::unique_name;

/// Builds a filter document (re-exported for tests).
pub use mongodb::bson::doc as filter;

/// Env var naming the Mongo-wire server tests use.
pub const ENV_TEST_MONGO_URL: &str = "TEST_MONGO_URL";

/// The Mongo-wire server's URL.
pub fn mongo_url() -> String {
    std::env::var(ENV_TEST_MONGO_URL).unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

/// `{name, data}` filter for one log entry.
pub fn log_filter(name: &str, data: &str) -> Document {
    doc! { "name": name, "data": data }
}

/// A database of its own on the shared Mongo-wire server.
pub struct TestMongo {
    /// The client.
    pub client: Client,
    /// The test's database.
    pub database: Database,
    /// Its name (hand it to the logger as `MONGO_DATABASE`).
    pub name: String,
}

impl TestMongo {
    /// Connects and picks a fresh database name.
    pub async fn new() -> Self {
        let client = Client::with_uri_str(mongo_url())
            .await
            .expect("valid TEST_MONGO_URL");
        let name = unique_name("test");
        let database = client.database(&name);
        Self {
            client,
            database,
            name,
        }
    }

    /// Documents of `logs` matching `filter`.
    pub async fn find_logs(&self, filter: Document) -> Vec<Document> {
        use futures::TryStreamExt;
        self.database
            .collection::<Document>("logs")
            .find(filter)
            .await
            .expect("find in logs")
            .try_collect()
            .await
            .expect("read cursor")
    }

    /// Waits until `logs` holds at least `count` documents matching `filter`
    /// (or `within` has passed) and returns how many it holds.
    pub async fn wait_for_logs(&self, filter: Document, count: u64, within: Duration) -> u64 {
        let collection = self.database.collection::<Document>("logs");
        let deadline = Instant::now() + within;
        loop {
            let found = collection
                .count_documents(filter.clone())
                .await
                .expect("count in logs");
            if found >= count || Instant::now() > deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Drops the test's database.
    pub async fn drop(self) {
        let _ = self.database.drop().await;
    }
}
