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
}
