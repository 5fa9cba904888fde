//! # broker
//!
//! The only public entry point of flexiconnect. It keeps the Go original's API
//! (`GET /ping`, `POST /`, `POST /handle`, `POST /log-gRPC`) and dispatches each
//! call (`auth`, `log`, `mail`, `ping`) to a worker over the transport the request
//! names: HTTP, AMQP, RPC (tarpc) or gRPC (tonic). Every `/handle` answer names its
//! transport and how long the dispatch took; `POST /compare` runs one call over
//! several transports and reports latency percentiles and throughput.
//!
//! ## Layout
//! - [`settings`]: typed settings from environment variables.
//! - [`amqp`]: the RabbitMQ client: event publishing with confirms, and
//!   request/reply through the listener; one connection, a pool of channels,
//!   rebuilt on demand after RabbitMQ went away.
//! - [`compare`]: `POST /compare`: one call N times per transport, percentiles from
//!   an HDR histogram.
//! - [`cli`]: `broker compare`, the same comparison against a running broker.
//! - [`dispatch`]: [`dispatch::Dispatcher`]: one validated call → one transport,
//!   under one deadline, timed.
//! - [`error`]: the broker's one error enum and its mapping to HTTP statuses.
//! - [`routes`]: the HTTP handlers.
//! - [`startup`]: [`Application`]: binds in `build`, serves until stopped.

pub mod amqp;
pub mod cli;
pub mod compare;
pub mod dispatch;
pub mod error;
pub mod routes;
pub mod settings;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
