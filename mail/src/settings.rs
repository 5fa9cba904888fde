//! The mail service's settings (`mail --help`), with the original's variable names.

use clap::{Parser, ValueEnum};
use runtime::secret::Secret;

/// Env var: address of the HTTP API.
pub const ENV_HTTP_ADDR: &str = "HTTP_ADDR";
/// Env var: address of the tarpc server.
pub const ENV_RPC_ADDR: &str = "RPC_ADDR";
/// Env var: address of the gRPC server.
pub const ENV_GRPC_ADDR: &str = "GRPC_ADDR";
/// Env var: actix-web worker threads.
pub const ENV_HTTP_WORKERS: &str = "HTTP_WORKERS";
/// Env var: domain announced in EHLO.
pub const ENV_MAIL_DOMAIN: &str = "MAIL_DOMAIN";
/// Env var: SMTP host.
pub const ENV_MAIL_HOST: &str = "MAIL_HOST";
/// Env var: SMTP port.
pub const ENV_MAIL_PORT: &str = "MAIL_PORT";
/// Env var: `none`, `tls` (STARTTLS) or `ssl` (implicit TLS).
pub const ENV_MAIL_ENCRYPTION: &str = "MAIL_ENCRYPTION";
/// Env var: SMTP user.
pub const ENV_MAIL_USERNAME: &str = "MAIL_USERNAME";
/// Env var: SMTP password.
pub const ENV_MAIL_PASSWORD: &str = "MAIL_PASSWORD";
/// Env var: file holding the SMTP password (a Docker/Swarm secret).
pub const ENV_MAIL_PASSWORD_FILE: &str = "MAIL_PASSWORD_FILE";
/// Env var: sender name.
pub const ENV_FROM_NAME: &str = "FROM_NAME";
/// Env var: sender address.
pub const ENV_FROM_ADDRESS: &str = "FROM_ADDRESS";
/// Env var: deadline of one SMTP exchange.
pub const ENV_SMTP_TIMEOUT_MS: &str = "SMTP_TIMEOUT_MS";
/// Env var: largest accepted request body.
pub const ENV_MAX_BODY_BYTES: &str = "MAX_BODY_BYTES";

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Encryption {
    /// Plain SMTP (MailHog, local catchers).
    None,
    /// STARTTLS on a plain connection (usually port 587).
    Tls,
    /// TLS from the first byte (usually port 465).
    Ssl,
}

/// Everything the mail service needs to run.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "mail",
    about = "Sends mail over SMTP over HTTP, tarpc and gRPC"
)]
pub struct Settings {
    /// Address of the HTTP API (`POST /send`, `GET /ping`).
    #[arg(long, env = ENV_HTTP_ADDR, default_value = "127.0.0.1:8084")]
    pub http_addr: String,
    /// Address of the tarpc server.
    #[arg(long, env = ENV_RPC_ADDR, default_value = "127.0.0.1:5003")]
    pub rpc_addr: String,
    /// Address of the gRPC server.
    #[arg(long, env = ENV_GRPC_ADDR, default_value = "127.0.0.1:50003")]
    pub grpc_addr: String,
    /// actix-web worker threads; 0 means one per CPU core.
    #[arg(long, env = ENV_HTTP_WORKERS, default_value_t = 0)]
    pub http_workers: usize,
    /// Domain announced in the SMTP greeting (EHLO).
    #[arg(long, env = ENV_MAIL_DOMAIN, default_value = "localhost")]
    pub mail_domain: String,
    /// SMTP server host.
    #[arg(long, env = ENV_MAIL_HOST, default_value = "127.0.0.1")]
    pub mail_host: String,
    /// SMTP server port (MailHog and MailDev listen on 1025).
    #[arg(long, env = ENV_MAIL_PORT, default_value_t = 1025)]
    pub mail_port: u16,
    /// Connection security: none, tls (STARTTLS) or ssl (implicit TLS).
    #[arg(long, env = ENV_MAIL_ENCRYPTION, value_enum, default_value = "none", ignore_case = true)]
    pub mail_encryption: Encryption,
    /// SMTP user; empty for no authentication.
    #[arg(long, env = ENV_MAIL_USERNAME, default_value = "")]
    pub mail_username: String,
    /// SMTP password.
    #[arg(long, env = ENV_MAIL_PASSWORD, default_value = "", hide_env_values = true)]
    pub mail_password: Secret,
    /// File holding the SMTP password; wins over `MAIL_PASSWORD`.
    #[arg(long, env = ENV_MAIL_PASSWORD_FILE)]
    pub mail_password_file: Option<std::path::PathBuf>,
    /// Sender name on every mail.
    #[arg(long, env = ENV_FROM_NAME, default_value = "flexiconnect")]
    pub from_name: String,
    /// Sender address when a request leaves `from` empty.
    #[arg(long, env = ENV_FROM_ADDRESS, default_value = "flexiconnect@example.com")]
    pub from_address: String,
    /// Deadline of one SMTP exchange, in milliseconds.
    #[arg(long, env = ENV_SMTP_TIMEOUT_MS, default_value_t = 5000)]
    pub smtp_timeout_ms: u64,
    /// Largest accepted request body in bytes; larger bodies get a 413.
    #[arg(long, env = ENV_MAX_BODY_BYTES, default_value_t = runtime::http::DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
}

impl Settings {
    /// The settings from the environment and the defaults, without reading the
    /// command line (tests start from this and override what they need).
    pub fn from_env() -> Result<Self, clap::Error> {
        Self::try_parse_from(["mail"])
    }
}
