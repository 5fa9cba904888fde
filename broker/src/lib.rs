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
//! - [`compare`]: `POST /compare`: one call N times per transport, percentiles from
//!   an HDR histogram.
//! - [`comparisons`]: one comparison at a time, stopped when its client leaves.
//! - [`cli`]: `broker compare`, the same comparison against a running broker.
//! - [`dispatch`]: [`dispatch::Dispatcher`]: the route (the original's log event,
//!   or a call over a transport), the breaker, `client.call`; under one
//!   deadline, timed. The clients themselves are in the `clients` crate.
//! - [`error`]: the broker's one error enum and its mapping to HTTP statuses.
//! - [`routes`]: the HTTP handlers.
//! - [`startup`]: [`Application`]: binds in `build`, serves until stopped.

pub mod cli;
pub mod compare;
pub mod comparisons;
pub mod dispatch;
pub mod error;
pub mod origins;
pub mod rate_limit;
pub mod routes;
pub mod settings;
pub mod startup;
pub mod tokens;

pub use settings::Settings;
pub use startup::Application;
