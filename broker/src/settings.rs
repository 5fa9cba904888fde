//! The broker's settings, read from environment variables (`broker --help`).

use clap::Parser;
use runtime::amqp::AmqpSettings;

/// Env var: address of the public HTTP API.
pub const ENV_HTTP_ADDR: &str = "HTTP_ADDR";
/// Env var: actix-web worker threads.
pub const ENV_HTTP_WORKERS: &str = "HTTP_WORKERS";
/// Env var: the logger's HTTP base URL.
pub const ENV_LOGGER_URL: &str = "LOGGER_URL";
/// Env var: the logger's tarpc address.
pub const ENV_LOGGER_RPC_ADDR: &str = "LOGGER_RPC_ADDR";
/// Env var: the logger's gRPC URL.
pub const ENV_LOGGER_GRPC_URL: &str = "LOGGER_GRPC_URL";
/// Env var: the authentication service's HTTP base URL.
pub const ENV_AUTH_URL: &str = "AUTH_URL";
/// Env var: the authentication service's tarpc address.
pub const ENV_AUTH_RPC_ADDR: &str = "AUTH_RPC_ADDR";
/// Env var: the authentication service's gRPC URL.
pub const ENV_AUTH_GRPC_URL: &str = "AUTH_GRPC_URL";
/// Env var: the mail service's HTTP base URL.
pub const ENV_MAIL_URL: &str = "MAIL_URL";
/// Env var: the mail service's tarpc address.
pub const ENV_MAIL_RPC_ADDR: &str = "MAIL_RPC_ADDR";
/// Env var: the mail service's gRPC URL.
pub const ENV_MAIL_GRPC_URL: &str = "MAIL_GRPC_URL";
/// Env var: deadline of one dispatch.
pub const ENV_DISPATCH_TIMEOUT_MS: &str = "DISPATCH_TIMEOUT_MS";
/// Env var: largest accepted request body.
pub use runtime::limits::ENV_MAX_BODY_BYTES;
/// Env var: what needs a token.
pub const ENV_TOKEN_REQUIRED_FOR: &str = "TOKEN_REQUIRED_FOR";
/// Env var: the key set tokens are checked against.
pub const ENV_JWKS_URL: &str = "JWKS_URL";
/// Env var: clock skew allowed on a token's expiry.
pub const ENV_TOKEN_LEEWAY_SECS: &str = "TOKEN_LEEWAY_SECS";
/// Env var: longest a comparison runs per transport.
pub const ENV_COMPARE_MAX_SECONDS: &str = "COMPARE_MAX_SECONDS";
/// Env var: longest a whole comparison may be planned to run, in seconds.
pub const ENV_COMPARE_MAX_TOTAL_SECONDS: &str = "COMPARE_MAX_TOTAL_SECONDS";
/// Env var: consecutive failures that open a worker's circuit.
pub const ENV_BREAKER_THRESHOLD: &str = "BREAKER_THRESHOLD";
/// Env var: how long an open circuit fails fast before a trial call.
pub const ENV_BREAKER_COOL_DOWN_MS: &str = "BREAKER_COOL_DOWN_MS";
/// Env var: the origins of the pages that may call the broker from a browser.
pub const ENV_CORS_ORIGINS: &str = "CORS_ORIGINS";
/// Env var: requests a second per client address (0: no limit).
pub const ENV_RATE_LIMIT_PER_SECOND: &str = "RATE_LIMIT_PER_SECOND";
/// Env var: the largest burst of requests per client address.
pub const ENV_RATE_LIMIT_BURST: &str = "RATE_LIMIT_BURST";
/// Env var: the proxies whose `X-Forwarded-For` names the client.
pub const ENV_TRUSTED_PROXIES: &str = "TRUSTED_PROXIES";
/// Env var: AMQP channels used for publishing.
pub const ENV_AMQP_CHANNELS: &str = "AMQP_CHANNELS";

/// Everything the broker needs to run.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "broker",
    about = "Dispatches calls to the workers over HTTP, AMQP, RPC, gRPC or NATS"
)]
pub struct Settings {
    /// Address the public HTTP API binds (the original's broker listens on 8080).
    #[arg(long, env = ENV_HTTP_ADDR, default_value = "127.0.0.1:8080")]
    pub http_addr: String,
    /// actix-web worker threads; 0 means one per CPU core.
    #[arg(long, env = ENV_HTTP_WORKERS, default_value_t = 0)]
    pub http_workers: usize,
    /// RabbitMQ.
    #[command(flatten)]
    pub amqp: AmqpSettings,
    /// NATS: request/reply, and the event stream on JetStream (and how much
    /// it keeps).
    #[command(flatten)]
    pub nats: runtime::nats::NatsSettings,
    /// AMQP channels (each with publisher confirms) that publishes are spread over.
    #[arg(long, env = ENV_AMQP_CHANNELS, default_value_t = 4)]
    pub amqp_channels: usize,
    /// The logger's HTTP base URL.
    #[arg(long, env = ENV_LOGGER_URL, default_value = "http://127.0.0.1:8082")]
    pub logger_url: String,
    /// The logger's tarpc address (host:port).
    #[arg(long, env = ENV_LOGGER_RPC_ADDR, default_value = "127.0.0.1:5001")]
    pub logger_rpc_addr: String,
    /// The logger's gRPC URL.
    #[arg(long, env = ENV_LOGGER_GRPC_URL, default_value = "http://127.0.0.1:50001")]
    pub logger_grpc_url: String,
    /// The authentication service's HTTP base URL.
    #[arg(long, env = ENV_AUTH_URL, default_value = "http://127.0.0.1:8083")]
    pub auth_url: String,
    /// The authentication service's tarpc address (host:port).
    #[arg(long, env = ENV_AUTH_RPC_ADDR, default_value = "127.0.0.1:5002")]
    pub auth_rpc_addr: String,
    /// The authentication service's gRPC URL.
    #[arg(long, env = ENV_AUTH_GRPC_URL, default_value = "http://127.0.0.1:50002")]
    pub auth_grpc_url: String,
    /// The mail service's HTTP base URL.
    #[arg(long, env = ENV_MAIL_URL, default_value = "http://127.0.0.1:8084")]
    pub mail_url: String,
    /// The mail service's tarpc address (host:port).
    #[arg(long, env = ENV_MAIL_RPC_ADDR, default_value = "127.0.0.1:5003")]
    pub mail_rpc_addr: String,
    /// The mail service's gRPC URL.
    #[arg(long, env = ENV_MAIL_GRPC_URL, default_value = "http://127.0.0.1:50003")]
    pub mail_grpc_url: String,
    /// Deadline of one dispatch (connect, call and answer), in milliseconds; past it
    /// the client gets a 504.
    #[arg(long, env = ENV_DISPATCH_TIMEOUT_MS, default_value_t = 5000)]
    pub dispatch_timeout_ms: u64,
    /// Consecutive failures to reach a worker (per transport) that open its
    /// circuit: further calls fail fast with 503 until the cool-down passed.
    #[arg(long, env = ENV_BREAKER_THRESHOLD, default_value_t = 5)]
    pub breaker_threshold: u32,
    /// How long an open circuit fails fast before one trial call, in milliseconds.
    #[arg(long, env = ENV_BREAKER_COOL_DOWN_MS, default_value_t = 5000)]
    pub breaker_cool_down_ms: u64,
    /// Longest a comparison runs per transport, in seconds; past it no new call is
    /// issued and the report covers what finished.
    #[arg(long, env = ENV_COMPARE_MAX_SECONDS, default_value_t = 60)]
    pub compare_max_seconds: u64,
    /// Longest a whole comparison may hold the broker, in seconds: every size,
    /// transport, warm-up and step, each closed run counted at
    /// `COMPARE_MAX_SECONDS` and each open one with its drain; a longer one is
    /// refused (400). A body is also bounded by the contract's 15 minutes of
    /// planned time, whatever this says.
    #[arg(long, env = ENV_COMPARE_MAX_TOTAL_SECONDS, default_value_t = 3600)]
    pub compare_max_total_seconds: u64,
    /// What one client may hold of the broker (body size, receive deadline,
    /// idle time, connections, receive budget).
    #[command(flatten)]
    pub limits: runtime::limits::Limits,
    /// Origins (`scheme://host[:port]`, comma-separated) of the pages that may
    /// call the broker from a browser; requests from any other page get a 403.
    /// Empty: any origin, as the original.
    #[arg(long, env = ENV_CORS_ORIGINS, value_delimiter = ',')]
    pub cors_origins: Vec<String>,
    /// Requests a second each client address may send on average; past it, 429
    /// with `Retry-After`. 0: no limit, as the original.
    #[arg(long, env = ENV_RATE_LIMIT_PER_SECOND, default_value_t = 0)]
    pub rate_limit_per_second: u32,
    /// Requests a client may send at once before the average applies (at least
    /// `RATE_LIMIT_PER_SECOND`).
    #[arg(long, env = ENV_RATE_LIMIT_BURST, default_value_t = 0)]
    pub rate_limit_burst: u32,
    /// Addresses or networks (comma-separated) of the reverse proxies in front of
    /// the broker: from them, `X-Forwarded-For` names the client.
    #[arg(long, env = ENV_TRUSTED_PROXIES, value_delimiter = ',')]
    pub trusted_proxies: Vec<String>,
    /// What needs `Authorization: Bearer <token>` (a login's token): any of the
    /// actions `auth`, `log`, `mail`, `ping`, `logs` and the endpoint `compare`,
    /// comma-separated. Empty: nothing, as the original.
    #[arg(long, env = ENV_TOKEN_REQUIRED_FOR, value_delimiter = ',')]
    pub token_required_for: Vec<String>,
    /// The key set tokens are checked against (authentication's JWKS); empty:
    /// `AUTH_URL` + `/jwks.json`.
    #[arg(long, env = ENV_JWKS_URL, default_value = "")]
    pub jwks_url: String,
    /// Clock skew allowed when checking a token's expiry, in seconds.
    #[arg(long, env = ENV_TOKEN_LEEWAY_SECS, default_value_t = 30)]
    pub token_leeway_secs: u64,
}

impl Settings {
    /// The settings from the environment and the defaults, without reading the
    /// command line (tests start from this and override what they need).
    pub fn from_env() -> Result<Self, clap::Error> {
        Self::try_parse_from(["broker"])
    }
}
