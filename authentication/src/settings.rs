//! The authentication service's settings (`authentication --help`).

use runtime::secret::Secret;

/// Env var: Postgres connection URL (the original's name).
pub const ENV_DSN: &str = "DSN";
/// Env var: file holding the Postgres URL (a Docker/Swarm secret).
pub const ENV_DSN_FILE: &str = "DSN_FILE";
/// Env var: file holding the seed user's password.
pub const ENV_SEED_PASSWORD_FILE: &str = "SEED_PASSWORD_FILE";
/// Env var: how long a query waits for a connection.
pub const ENV_PG_TIMEOUT_MS: &str = "PG_TIMEOUT_MS";
/// Env var: most Postgres connections.
pub const ENV_PG_MAX_CONNECTIONS: &str = "PG_MAX_CONNECTIONS";
/// Env var: bcrypt cost of the seed user and the timing dummy.
pub const ENV_BCRYPT_COST: &str = "BCRYPT_COST";
/// Env var: password checks that may wait for a core; more are shed (503 busy).
pub const ENV_BCRYPT_QUEUE: &str = "BCRYPT_QUEUE";
/// Env var: e-mail of the seed user.
pub const ENV_SEED_EMAIL: &str = "SEED_EMAIL";
/// Env var: password of the seed user.
pub const ENV_SEED_PASSWORD: &str = "SEED_PASSWORD";
/// Env var: the logger's HTTP base URL.
pub const ENV_LOGGER_URL: &str = "LOGGER_URL";
/// Env var: the key tokens are signed with (Ed25519, PKCS#8 PEM).
pub const ENV_JWT_PRIVATE_KEY: &str = "JWT_PRIVATE_KEY";
/// Env var: file holding that key (a Docker/Swarm secret).
pub const ENV_JWT_PRIVATE_KEY_FILE: &str = "JWT_PRIVATE_KEY_FILE";
/// Env var: how long a token is valid, in seconds.
pub const ENV_TOKEN_LIFETIME_SECS: &str = "TOKEN_LIFETIME_SECS";

runtime::worker_settings! {
    /// Everything the authentication service needs to run.
    name: "authentication",
    about: "Authenticates users against Postgres over HTTP, tarpc, gRPC and AMQP",
    /// The authentication's default addresses on the local stack.
    addrs: { http: "127.0.0.1:8083", rpc: "127.0.0.1:5002", grpc: "127.0.0.1:50002" },
    pub struct Settings {
        /// Postgres URL. The database is created when missing.
        #[arg(long, env = ENV_DSN, default_value = "postgres://postgres:password@127.0.0.1:5432/users", hide_env_values = true)]
        pub dsn: Secret,
        /// File holding the Postgres URL; wins over `DSN`.
        #[arg(long, env = ENV_DSN_FILE)]
        pub dsn_file: Option<std::path::PathBuf>,
        /// How long a query waits for a Postgres connection before the call fails
        /// with 503, in milliseconds.
        #[arg(long, env = ENV_PG_TIMEOUT_MS, default_value_t = 3000)]
        pub pg_timeout_ms: u64,
        /// Most Postgres connections in the pool.
        #[arg(long, env = ENV_PG_MAX_CONNECTIONS, default_value_t = 10)]
        pub pg_max_connections: u32,
        /// bcrypt cost for the seed user and for the dummy hash unknown e-mails are
        /// checked against (keep it equal to your users' cost). The original uses 12.
        #[arg(long, env = ENV_BCRYPT_COST, default_value_t = 12)]
        pub bcrypt_cost: u32,
        /// Password checks that may wait for a CPU core (bcrypt runs one per core);
        /// more are shed at once with 503 `Retry-After` instead of queueing until
        /// their callers time out. At cost 12 (about 0.25 s a check) and 2 cores,
        /// the default 8 means at most about 1 s of waiting.
        #[arg(long, env = ENV_BCRYPT_QUEUE, default_value_t = 8)]
        pub bcrypt_queue: usize,
        /// E-mail of the user seeded when absent.
        #[arg(long, env = ENV_SEED_EMAIL, default_value = "admin@example.com")]
        pub seed_email: String,
        /// Password of the seed user (the original's demo password by default; set
        /// your own, or an empty value to seed nobody).
        #[arg(long, env = ENV_SEED_PASSWORD, default_value = "verysecret", hide_default_value = true, hide_env_values = true)]
        pub seed_password: Secret,
        /// File holding the seed user's password; wins over `SEED_PASSWORD`.
        #[arg(long, env = ENV_SEED_PASSWORD_FILE)]
        pub seed_password_file: Option<std::path::PathBuf>,
        /// The logger's HTTP base URL, for the `authentication` log entry of a login.
        #[arg(long, env = ENV_LOGGER_URL, default_value = "http://127.0.0.1:8082")]
        pub logger_url: String,
        /// The Ed25519 private key (PKCS#8 PEM) a login's token is signed with;
        /// empty: a key made at start-up (tokens end with the process).
        #[arg(long, env = ENV_JWT_PRIVATE_KEY, default_value = "", hide_env_values = true)]
        pub jwt_private_key: Secret,
        /// File holding that key; wins over `JWT_PRIVATE_KEY`.
        #[arg(long, env = ENV_JWT_PRIVATE_KEY_FILE)]
        pub jwt_private_key_file: Option<std::path::PathBuf>,
        /// How long a token is valid, in seconds.
        #[arg(long, env = ENV_TOKEN_LIFETIME_SECS, default_value_t = 900)]
        pub token_lifetime_secs: u64,
    }
}

impl Settings {
    /// Replaces every secret given as a file (`*_FILE`) by the file's content.
    pub fn resolve_secret_files(mut self) -> std::io::Result<Self> {
        self.dsn = runtime::secret::resolve(&self.dsn, self.dsn_file.as_deref())?;
        self.seed_password =
            runtime::secret::resolve(&self.seed_password, self.seed_password_file.as_deref())?;
        self.jwt_private_key =
            runtime::secret::resolve(&self.jwt_private_key, self.jwt_private_key_file.as_deref())?;
        Ok(self)
    }
}
