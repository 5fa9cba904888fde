//! The listener's settings, read from environment variables (`listener --help`).

use clap::Parser;
use runtime::amqp::AmqpSettings;

/// Env var: address of the health endpoint.
pub const ENV_HTTP_ADDR: &str = "HTTP_ADDR";
/// Env var: the logger's HTTP base URL.
pub const ENV_LOGGER_URL: &str = "LOGGER_URL";
/// Env var: unacked events at once.
pub const ENV_PREFETCH: &str = "PREFETCH";
/// Env var: most events stored with one call to the logger.
pub const ENV_BATCH_MAX: &str = "BATCH_MAX";
/// Env var: batches being stored at once.
pub const ENV_STORE_CONCURRENCY: &str = "STORE_CONCURRENCY";
/// Env var: deadline of one call to a worker.
pub const ENV_CALL_TIMEOUT_MS: &str = "CALL_TIMEOUT_MS";
/// Env var: attempts before a failing event is dead-lettered.
pub const ENV_MAX_FAILED_ATTEMPTS: &str = "MAX_FAILED_ATTEMPTS";
/// Env var: the JetStream durable consumer's name.
pub const ENV_NATS_DURABLE: &str = "NATS_DURABLE";

/// Everything the listener needs to run.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "listener",
    about = "Stores the log events of RabbitMQ's logs_topic and of NATS JetStream through the logger"
)]
pub struct Settings {
    /// Address of the health endpoint (`GET /ping`, `GET /health`).
    #[arg(long, env = ENV_HTTP_ADDR, default_value = "127.0.0.1:8085")]
    pub http_addr: String,
    /// What one client may hold of the HTTP server.
    #[command(flatten)]
    pub limits: runtime::limits::Limits,
    /// RabbitMQ.
    #[command(flatten)]
    pub amqp: AmqpSettings,
    /// NATS, whose JetStream stream holds the events published on it (and how
    /// much it keeps: the listener creates it when missing).
    #[command(flatten)]
    pub nats: runtime::nats::NatsSettings,
    /// The JetStream durable consumer's name: it remembers what was stored, so
    /// a listener that was away catches up. A name not seen before replays
    /// the stream from its start (a late joiner).
    #[arg(long, env = ENV_NATS_DURABLE, default_value = "listener")]
    pub nats_durable: String,
    /// The logger's HTTP base URL (events are stored through it).
    #[arg(long, env = ENV_LOGGER_URL, default_value = "http://127.0.0.1:8082")]
    pub logger_url: String,
    /// Events held unacked at once, per bus (RabbitMQ: every batch being
    /// stored or waiting to be acked; NATS: how many are stored in parallel).
    #[arg(long, env = ENV_PREFETCH, default_value_t = 128)]
    pub prefetch: u16,
    /// Most events of RabbitMQ stored with one call to the logger (one
    /// `POST /call` with an array). A batch is what has arrived when a store
    /// slot is free, so under no load an event is stored alone at once; 1
    /// stores each event with a call of its own. Keep it at most half of `PREFETCH`, so that
    /// one batch is taken while another is being stored.
    #[arg(long, env = ENV_BATCH_MAX, default_value_t = 64)]
    pub batch_max: usize,
    /// Batches of RabbitMQ's events being stored at once.
    #[arg(long, env = ENV_STORE_CONCURRENCY, default_value_t = 2)]
    pub store_concurrency: usize,
    /// Deadline of one call to a worker, in milliseconds.
    #[arg(long, env = ENV_CALL_TIMEOUT_MS, default_value_t = 5000)]
    pub call_timeout_ms: u64,
    /// How often an event may fail with a non-transient error (the logger answered
    /// with a failure) before it is dead-lettered. Transient failures (the logger is
    /// unreachable) are retried for as long as they last.
    #[arg(long, env = ENV_MAX_FAILED_ATTEMPTS, default_value_t = 5)]
    pub max_failed_attempts: u32,
}

impl Settings {
    /// The settings from the environment and the defaults, without reading the
    /// command line (tests start from this and override what they need).
    pub fn from_env() -> Result<Self, clap::Error> {
        Self::try_parse_from(["listener"])
    }
}
