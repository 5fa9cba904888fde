//! # flexi-testkit
//!
//! Helpers for tests that talk to real dependencies. Every test gets its own
//! names (a MongoDB database, an AMQP namespace) on the shared servers, and its
//! services bind port 0, so tests run in parallel without seeing each other.
//!
//! The servers are found through `TEST_MONGO_URL`, `TEST_AMQP_URL`,
//! `TEST_DATABASE_URL`, `TEST_SMTP_ADDR` and `TEST_MAILDEV_URL` (defaults: the
//! local stack's). `make -C project test` starts them when they are not running.

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
/// Env var naming the Postgres server tests use (no database in the path).
pub const ENV_TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";
/// Env var naming the SMTP catcher's SMTP address (`host:port`).
pub const ENV_TEST_SMTP_ADDR: &str = "TEST_SMTP_ADDR";
/// Env var naming the SMTP catcher's (MailDev's) HTTP API.
pub const ENV_TEST_MAILDEV_URL: &str = "TEST_MAILDEV_URL";

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

/// The Postgres server's URL, without a database.
pub fn database_url() -> String {
    std::env::var(ENV_TEST_DATABASE_URL)
        .unwrap_or_else(|_| "postgres://postgres:password@127.0.0.1:5432".into())
        .trim_end_matches('/')
        .to_owned()
}

/// A database of its own on the shared Postgres (created by the service under
/// test, dropped by [`TestPostgres::drop`]).
pub struct TestPostgres {
    /// The URL of the test's database (hand it to the service as `DSN`).
    pub dsn: String,
    /// Its name.
    pub name: String,
}

impl TestPostgres {
    /// Picks a fresh database name.
    pub fn new() -> Self {
        let name = unique_name("test");
        Self {
            dsn: format!("{}/{name}", database_url()),
            name,
        }
    }

    /// Drops the test's database (closing its connections).
    pub async fn drop(self) {
        use sqlx::Connection;
        let admin = format!("{}/postgres", database_url());
        if let Ok(mut connection) = sqlx::PgConnection::connect(&admin).await {
            let statement = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut connection)
                .await;
            let _ = connection.close().await;
        }
    }
}

impl Default for TestPostgres {
    fn default() -> Self {
        Self::new()
    }
}

/// The SMTP catcher's SMTP host and port.
pub fn smtp_addr() -> (String, u16) {
    let addr = std::env::var(ENV_TEST_SMTP_ADDR).unwrap_or_else(|_| "127.0.0.1:1025".into());
    let (host, port) = addr.rsplit_once(':').expect("TEST_SMTP_ADDR is host:port");
    (host.to_owned(), port.parse().expect("TEST_SMTP_ADDR port"))
}

/// A mail as MailDev's HTTP API shows it (fields MailDev leaves out, for odd
/// mails other tests send, are empty).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CaughtMail {
    /// MailDev's id.
    pub id: String,
    /// Senders.
    #[serde(default)]
    pub from: Vec<CaughtAddress>,
    /// Recipients.
    #[serde(default)]
    pub to: Vec<CaughtAddress>,
    /// Subject line.
    #[serde(default)]
    pub subject: String,
    /// The HTML part, if any.
    pub html: Option<String>,
    /// The plain-text part, if any.
    pub text: Option<String>,
}

/// An address in a [`CaughtMail`].
#[derive(Debug, Clone, serde::Deserialize)]
pub struct CaughtAddress {
    /// The address.
    #[serde(default)]
    pub address: String,
    /// The display name.
    #[serde(default)]
    pub name: String,
}

/// The SMTP catcher's HTTP API (MailDev: `GET /email`, `GET /email/:id/source`).
pub struct MailCatcher {
    url: String,
    client: reqwest::Client,
}

impl MailCatcher {
    /// The catcher named by `TEST_MAILDEV_URL`.
    pub fn new() -> Self {
        let url =
            std::env::var(ENV_TEST_MAILDEV_URL).unwrap_or_else(|_| "http://127.0.0.1:1080".into());
        Self {
            url: url.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
        }
    }

    /// Waits until a mail to `to` arrived (or `within` passed).
    pub async fn wait_for(&self, to: &str, within: Duration) -> Option<CaughtMail> {
        let deadline = Instant::now() + within;
        loop {
            let mails: Vec<CaughtMail> = self
                .client
                .get(format!("{}/email", self.url))
                .send()
                .await
                .expect("MailDev answers at TEST_MAILDEV_URL")
                .json()
                .await
                .expect("MailDev's JSON");
            if let Some(mail) = mails
                .into_iter()
                .find(|m| m.to.iter().any(|a| a.address == to))
            {
                return Some(mail);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The raw message (headers and every MIME part).
    pub async fn source(&self, mail: &CaughtMail) -> String {
        self.client
            .get(format!("{}/email/{}/source", self.url, mail.id))
            .send()
            .await
            .expect("MailDev answers")
            .text()
            .await
            .expect("source text")
    }
}

impl Default for MailCatcher {
    fn default() -> Self {
        Self::new()
    }
}

/// Everything the process logged at DEBUG and above since [`capture_logs`] was
/// first called, for tests that check what logs must never contain.
pub struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

static CAPTURED: std::sync::OnceLock<std::sync::Arc<std::sync::Mutex<Vec<u8>>>> =
    std::sync::OnceLock::new();

#[derive(Clone)]
struct CaptureWriter(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CaptureWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once per process) a global subscriber that records every log line.
/// Call it before starting services; if another subscriber was installed first
/// (`TEST_LOG`), nothing is captured, which [`LogCapture::contents`] users should
/// detect by looking for a line they know was logged.
pub fn capture_logs() -> LogCapture {
    let buffer = CAPTURED.get_or_init(|| {
        let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let writer = CaptureWriter(buffer.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter("debug")
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init();
        buffer
    });
    LogCapture(buffer.clone())
}

impl LogCapture {
    /// What was logged so far.
    pub fn contents(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|p| p.into_inner())).into_owned()
    }
}

/// A TCP proxy a test owns, in front of a shared server (Postgres, RabbitMQ, the
/// SMTP catcher): [`TcpProxy::cut`] makes the server unreachable for whatever
/// connects through the proxy, and only for that, and [`TcpProxy::restore`]
/// brings it back. So a test can take a dependency away without stopping the
/// server other tests use.
pub struct TcpProxy {
    port: u16,
    state: std::sync::Arc<ProxyState>,
    accept: tokio::task::JoinHandle<()>,
}

#[derive(Default)]
struct ProxyState {
    up: std::sync::atomic::AtomicBool,
    connections: std::sync::Mutex<Vec<tokio::task::AbortHandle>>,
}

impl TcpProxy {
    /// Listens on a free local port and forwards to `target` (`host:port`).
    pub async fn start(target: &str) -> Self {
        use std::sync::atomic::Ordering;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let port = listener.local_addr().expect("local addr").port();
        let state = std::sync::Arc::new(ProxyState::default());
        state.up.store(true, Ordering::SeqCst);
        let target = target.to_owned();
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !shared.up.load(Ordering::SeqCst) {
                    drop(inbound); // accepted and closed at once: unreachable
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                shared
                    .connections
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(task.abort_handle());
            }
        });
        Self {
            port,
            state,
            accept,
        }
    }

    /// The port to connect to instead of the server's.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.state
            .up
            .store(false, std::sync::atomic::Ordering::SeqCst);
        for connection in self
            .state
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            connection.abort();
        }
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.state
            .up
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// Runs a service's binary with `env`, waits until `ready_path` on its
/// `HTTP_ADDR` answers 2xx, sends it SIGTERM (what Docker and Swarm send), and
/// returns how it exited. Panics if it does not become ready or does not stop
/// within 15 s.
pub async fn start_and_terminate(
    binary: &str,
    env: &[(&str, String)],
    ready_path: &str,
) -> std::process::ExitStatus {
    let port = closed_port();
    let mut child = tokio::process::Command::new(binary)
        .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("HTTP_WORKERS", "1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let client = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}{ready_path}");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if client
            .get(&url)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{binary} did not become ready at {url}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = child.id().expect("running").to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill runs");
    assert!(killed.success());
    tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("stops within 15 s of SIGTERM")
        .expect("an exit status")
}
