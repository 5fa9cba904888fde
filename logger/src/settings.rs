//! The logger's settings, read from environment variables (or flags of the same
//! name in kebab case; `logger --help` lists them).

use runtime::secret::Secret;

/// Env var: MongoDB connection string.
pub const ENV_MONGO_URL: &str = "MONGO_URL";
/// Env var: MongoDB user.
pub const ENV_MONGO_USERNAME: &str = "MONGO_USERNAME";
/// Env var: MongoDB password.
pub const ENV_MONGO_PASSWORD: &str = "MONGO_PASSWORD";
/// Env var: file holding the MongoDB password (a Docker/Swarm secret).
pub const ENV_MONGO_PASSWORD_FILE: &str = "MONGO_PASSWORD_FILE";
/// Env var: MongoDB database.
pub const ENV_MONGO_DATABASE: &str = "MONGO_DATABASE";
/// Env var: MongoDB server-selection and connect timeout.
pub const ENV_MONGO_TIMEOUT_MS: &str = "MONGO_TIMEOUT_MS";
/// Env var: largest number of entries in one `insert_many`.
pub const ENV_WRITE_BATCH_MAX: &str = "WRITE_BATCH_MAX";
/// Env var: number of `insert_many` calls in flight at once.
pub const ENV_WRITE_CONCURRENCY: &str = "WRITE_CONCURRENCY";

runtime::worker_settings! {
    /// Everything the logger needs to run.
    name: "logger",
    about: "Stores log entries in MongoDB over HTTP, tarpc, gRPC and AMQP",
    /// The logger's default addresses on the local stack (the original's ports:
    /// RPC 5001, gRPC 50001).
    addrs: { http: "127.0.0.1:8082", rpc: "127.0.0.1:5001", grpc: "127.0.0.1:50001" },
    pub struct Settings {
        /// MongoDB connection string.
        #[arg(long, env = ENV_MONGO_URL, default_value = "mongodb://127.0.0.1:27017")]
        pub mongo_url: String,
        /// MongoDB user, when the server requires authentication (the original used `admin`).
        #[arg(long, env = ENV_MONGO_USERNAME)]
        pub mongo_username: Option<String>,
        /// MongoDB password for `mongo_username`.
        #[arg(long, env = ENV_MONGO_PASSWORD, hide_env_values = true)]
        pub mongo_password: Option<Secret>,
        /// File holding the MongoDB password; wins over `MONGO_PASSWORD`.
        #[arg(long, env = ENV_MONGO_PASSWORD_FILE)]
        pub mongo_password_file: Option<std::path::PathBuf>,
        /// Database holding the `logs` collection.
        #[arg(long, env = ENV_MONGO_DATABASE, default_value = "logs")]
        pub mongo_database: String,
        /// How long an operation waits for MongoDB to be reachable before the call
        /// fails with 503, in milliseconds.
        #[arg(long, env = ENV_MONGO_TIMEOUT_MS, default_value_t = 3000)]
        pub mongo_timeout_ms: u64,
        /// Largest number of entries gathered into one `insert_many`.
        #[arg(long, env = ENV_WRITE_BATCH_MAX, default_value_t = 512)]
        pub write_batch_max: usize,
        /// Number of `insert_many` calls in flight at once.
        #[arg(long, env = ENV_WRITE_CONCURRENCY, default_value_t = 2)]
        pub write_concurrency: usize,
    }
}
