//! # flexi-testkit
//!
//! Helpers for tests that talk to real dependencies. Every test gets its own
//! names (a MongoDB database, an AMQP namespace) on the shared servers, and its
//! services bind port 0, so tests run in parallel without seeing each other.
//!
//! The servers are found through `TEST_MONGO_URL` and `TEST_AMQP_URL` (defaults:
//! the local stack's `mongodb://127.0.0.1:27017` and
//! `amqp://guest:guest@127.0.0.1:5672/%2f`). `make -C project test` starts them
//! when they are not running.

use std::time::{Duration, Instant};

use lapin::options::{ExchangeDeleteOptions, QueueDeleteOptions};
use mongodb::{
    Client, Database,
    bson::{Document, doc},
};
use protocol::amqp::AmqpNames;

/// Env var naming the Mongo-wire server tests use.
pub const ENV_TEST_MONGO_URL: &str = "TEST_MONGO_URL";
/// Env var naming the RabbitMQ tests use.
pub const ENV_TEST_AMQP_URL: &str = "TEST_AMQP_URL";

/// The Mongo-wire server's URL.
pub fn mongo_url() -> String {
    std::env::var(ENV_TEST_MONGO_URL).unwrap_or_else(|_| "mongodb://127.0.0.1:27017".into())
}

/// RabbitMQ's URL.
pub fn amqp_url() -> String {
    std::env::var(ENV_TEST_AMQP_URL)
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// A name no other test uses: `prefix_` and 12 random hex digits.
pub fn unique_name(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &id[..12])
}

/// A local port that nothing listens on (bound, read, released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr").port()
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

/// An AMQP namespace of its own on the shared RabbitMQ.
pub struct TestAmqp {
    /// The namespace (hand it to services as `AMQP_NAMESPACE`).
    pub namespace: String,
    /// The names it gives.
    pub names: AmqpNames,
}

impl TestAmqp {
    /// A fresh namespace; nothing is declared until a service does.
    pub fn new() -> Self {
        let namespace = unique_name("t");
        let names = AmqpNames::new(&namespace);
        Self { namespace, names }
    }

    /// A connection to the shared RabbitMQ.
    pub async fn connect(&self) -> lapin::Connection {
        runtime::amqp::connect(&amqp_url(), "test")
            .await
            .expect("RabbitMQ reachable at TEST_AMQP_URL")
    }

    /// Deletes every queue and exchange of the namespace.
    pub async fn delete(self) {
        let connection = self.connect().await;
        let Ok(channel) = connection.create_channel().await else {
            return;
        };
        for queue in [
            &self.names.logs_queue,
            &self.names.dead_letter_queue,
            &self.names.request_queue,
        ] {
            let _ = channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
        for exchange in [&self.names.logs_exchange, &self.names.dead_letter_exchange] {
            let _ = channel
                .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
                .await;
        }
        let _ = connection.close(200, "done".into()).await;
    }
}

impl Default for TestAmqp {
    fn default() -> Self {
        Self::new()
    }
}

/// Builds a filter document (re-exported for tests).
pub use mongodb::bson::doc as filter;

/// `{name, data}` filter for one log entry.
pub fn log_filter(name: &str, data: &str) -> Document {
    doc! { "name": name, "data": data }
}
