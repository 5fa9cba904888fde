//! # flexi-runtime
//!
//! The plumbing every flexiconnect service needs, written once: telemetry,
//! shutdown on SIGTERM, retry with backoff, the HTTP edge (body limits, the JSON
//! error body), and the RabbitMQ topology that the broker and the listener both
//! declare.
//!
//! ## Layout
//! - [`telemetry`]: one `tracing` subscriber setup (`RUST_LOG`, `LOG_FORMAT`).
//! - [`shutdown`]: a [`tokio_util::sync::CancellationToken`] cancelled by SIGTERM or
//!   Ctrl-C; every server takes one as its stop signal.
//! - [`retry`]: wait for a dependency with exponential backoff, until cancelled.
//! - [`http`]: actix-web helpers: serve until cancelled, read a size-limited body,
//!   answer with the contract's JSON error body.
//! - [`rpc`]: binding a tarpc server.
//! - [`serve`]: run a service's servers together; [`serve_tarpc!`] serves a tarpc listener.
//! - [`secret`]: a setting that prints as `[redacted]`.
//! - [`amqp`]: connect to RabbitMQ and declare the contract's exchanges and queues.

/// Every service allocates with jemalloc, configured at build time
/// (`.cargo/config.toml`) to hand freed pages back to the OS within a second from
/// a background thread. glibc's allocator keeps what a burst of load freed, so a
/// service would stay well above its idle size after load (see the README's
/// benchmark).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

pub mod amqp;
pub mod http;
pub mod retry;
pub mod rpc;
pub mod secret;
pub mod serve;
pub mod shutdown;
pub mod telemetry;

/// Re-exports for [`serve_tarpc!`]; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use futures;
    pub use tarpc;
    pub use tokio_util;
}
