//! The mail service's settings (`mail --help`), with the original's variable names.

use clap::ValueEnum;
use runtime::secret::Secret;

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
/// Env var: the domains a caller's `from` may be of.
pub const ENV_MAIL_ALLOWED_DOMAINS: &str = "MAIL_ALLOWED_DOMAINS";
/// Env var: the domains mail may be sent to.
pub const ENV_MAIL_RECIPIENT_DOMAINS: &str = "MAIL_RECIPIENT_DOMAINS";
/// Env var: deadline of one SMTP exchange.
pub const ENV_SMTP_TIMEOUT_MS: &str = "SMTP_TIMEOUT_MS";

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

runtime::worker_settings! {
    /// Everything the mail service needs to run.
    name: "mail",
    about: "Sends mail over SMTP over HTTP, tarpc, gRPC and AMQP",
    /// The mail's default addresses on the local stack.
    addrs: { http: "127.0.0.1:8084", rpc: "127.0.0.1:5003", grpc: "127.0.0.1:50003" },
    pub struct Settings {
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
        /// Sender address when a request leaves `from` empty, or names one the
        /// allowed domains do not cover.
        #[arg(long, env = ENV_FROM_ADDRESS, default_value = "flexiconnect@example.com")]
        pub from_address: String,
        /// Domains (comma-separated) a caller's `from` may be of; any other `from`
        /// is replaced by `FROM_ADDRESS` and kept only as `Reply-To`. Empty: any
        /// address is the sender, as the original.
        #[arg(long, env = ENV_MAIL_ALLOWED_DOMAINS, value_delimiter = ',')]
        pub mail_allowed_domains: Vec<String>,
        /// Domains (comma-separated) mail may be sent to; a `to` of any other is
        /// refused (400) and nothing is sent. Empty: any, as the original.
        #[arg(long, env = ENV_MAIL_RECIPIENT_DOMAINS, value_delimiter = ',')]
        pub mail_recipient_domains: Vec<String>,
        /// Deadline of one SMTP exchange, in milliseconds.
        #[arg(long, env = ENV_SMTP_TIMEOUT_MS, default_value_t = 5000)]
        pub smtp_timeout_ms: u64,
    }
}
