//! A worker's settings: where it serves its five transports
//! ([`ServerSettings`], flattened into each worker's settings, with the
//! worker's [`DefaultAddrs`]), and [`worker_settings!`](crate::worker_settings),
//! which declares a worker's whole `Settings` around its own fields.

use crate::amqp::AmqpSettings;

/// Env var: address of the HTTP API.
pub const ENV_HTTP_ADDR: &str = "HTTP_ADDR";
/// Env var: address of the tarpc server.
pub const ENV_RPC_ADDR: &str = "RPC_ADDR";
/// Env var: address of the gRPC server.
pub const ENV_GRPC_ADDR: &str = "GRPC_ADDR";
/// Env var: actix-web worker threads.
pub const ENV_HTTP_WORKERS: &str = "HTTP_WORKERS";
pub use crate::limits::ENV_MAX_BODY_BYTES;
/// Env var: AMQP requests a worker handles at once.
pub const ENV_AMQP_PREFETCH: &str = "AMQP_PREFETCH";
/// Env var: NATS requests a worker handles at once.
pub const ENV_NATS_MAX_IN_FLIGHT: &str = "NATS_MAX_IN_FLIGHT";

/// A worker's default addresses (on the local stack; containers set them).
pub trait DefaultAddrs: std::fmt::Debug + Clone + Send + Sync + 'static {
    /// `HTTP_ADDR`'s default.
    const HTTP: &'static str;
    /// `RPC_ADDR`'s default.
    const RPC: &'static str;
    /// `GRPC_ADDR`'s default.
    const GRPC: &'static str;
}

/// Where a worker serves its five transports (flattened into each worker's
/// settings); `D` names the worker's default addresses.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerSettings<D: DefaultAddrs> {
    /// Address of the HTTP API.
    #[arg(long, env = ENV_HTTP_ADDR, default_value = D::HTTP)]
    pub http_addr: String,
    /// Address of the tarpc server.
    #[arg(long, env = ENV_RPC_ADDR, default_value = D::RPC)]
    pub rpc_addr: String,
    /// Address of the gRPC server.
    #[arg(long, env = ENV_GRPC_ADDR, default_value = D::GRPC)]
    pub grpc_addr: String,
    /// actix-web worker threads; 0 means one per CPU core.
    #[arg(long, env = ENV_HTTP_WORKERS, default_value_t = 0)]
    pub http_workers: usize,
    /// What one client may hold of the worker, on every transport.
    #[command(flatten)]
    pub limits: crate::limits::Limits,
    /// RabbitMQ, where the worker serves its AMQP request queue.
    #[command(flatten)]
    pub amqp: AmqpSettings,
    /// AMQP requests handled at once (unacked messages of the request queue).
    #[arg(long, env = ENV_AMQP_PREFETCH, default_value_t = 128)]
    pub amqp_prefetch: u16,
    /// NATS, where the worker serves its subject.
    #[command(flatten)]
    pub nats: crate::nats::NatsSettings,
    /// NATS requests handled at once; more wait in the subscription.
    #[arg(long, env = ENV_NATS_MAX_IN_FLIGHT, default_value_t = 128)]
    pub nats_max_in_flight: usize,
    #[arg(skip)]
    #[doc(hidden)]
    pub defaults: std::marker::PhantomData<D>,
}

impl<D: DefaultAddrs> ServerSettings<D> {
    /// Every server on port 0 of the loopback, with one HTTP worker thread:
    /// what tests start a worker with (they read the ports back).
    pub fn on_any_port(&mut self) {
        self.http_addr = "127.0.0.1:0".into();
        self.rpc_addr = "127.0.0.1:0".into();
        self.grpc_addr = "127.0.0.1:0".into();
        self.http_workers = 1;
    }
}

/// Declares a worker's settings: `Addrs`, its default addresses (the
/// [`DefaultAddrs`] of its [`ServerSettings`]), and `Settings`, a
/// [`clap::Parser`] with the server settings (`server`, flattened) followed by
/// the worker's own fields, and `Settings::from_env`.
///
/// ```ignore
/// runtime::worker_settings! {
///     /// Everything the logger needs to run.
///     name: "logger",
///     about: "Stores log entries in MongoDB over HTTP, tarpc, gRPC and AMQP",
///     /// The logger's default addresses on the local stack.
///     addrs: { http: "127.0.0.1:8082", rpc: "127.0.0.1:5001", grpc: "127.0.0.1:50001" },
///     pub struct Settings {
///         /// MongoDB connection string.
///         #[arg(long, env = ENV_MONGO_URL, default_value = "mongodb://127.0.0.1:27017")]
///         pub mongo_url: String,
///     }
/// }
/// ```
#[macro_export]
macro_rules! worker_settings {
    (
        $(#[$doc:meta])*
        name: $name:literal,
        about: $about:literal,
        $(#[$addrs_doc:meta])*
        addrs: { http: $http:literal, rpc: $rpc:literal, grpc: $grpc:literal $(,)? },
        pub struct Settings { $($fields:tt)* }
    ) => {
        $(#[$addrs_doc])*
        #[derive(Debug, Clone)]
        pub struct Addrs;

        impl $crate::worker::DefaultAddrs for Addrs {
            const HTTP: &'static str = $http;
            const RPC: &'static str = $rpc;
            const GRPC: &'static str = $grpc;
        }

        $(#[$doc])*
        #[derive(Debug, Clone, ::clap::Parser)]
        #[command(name = $name, about = $about)]
        pub struct Settings {
            /// Where the five transports are served (`HTTP_ADDR`, `RPC_ADDR`,
            /// `GRPC_ADDR`, `AMQP_URL`, …).
            #[command(flatten)]
            pub server: $crate::worker::ServerSettings<Addrs>,
            $($fields)*
        }

        impl Settings {
            /// The settings from the environment and the defaults, without reading the
            /// command line (tests start from this and override what they need).
            pub fn from_env() -> Result<Self, ::clap::Error> {
                <Self as ::clap::Parser>::try_parse_from([$name])
            }
        }
    };
}
