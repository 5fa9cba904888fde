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
//! - [`limits`]: what one client may hold of a service, the same on every
//!   transport (body size, receive deadline, idle time, connections, streams,
//!   the process's receive budget).
//! - [`service`]: the [`service::Service`] trait every `Application` implements,
//!   and [`service::run`], the whole of a binary's `main`.
//! - [`metrics`]: the process's Prometheus recorder, `GET /metrics` on every
//!   HTTP server, and the worker-call counters and histograms.
//! - [`timing`]: a worker's handling and dependency time, measured once per call.
//! - [`secret`]: a setting that prints as `[redacted]`.
//! - `amqp` (feature `amqp`): connect to RabbitMQ, keep a session up, declare the
//!   contract's exchanges and queues; `amqp::server`, a worker's request/reply
//!   consumer.
//! - `nats` (feature `nats`): NATS settings, connecting, trace context in
//!   headers; `nats::server`, a worker's request/reply server.
//! - `guard`, `grpc` (feature `worker`): tarpc's and gRPC's connections and
//!   requests held to the limits.
//! - `worker` (feature `worker`): what the three workers share: their server
//!   settings, the `Handler` a worker is, `serve_call` (the one way a call
//!   reaches it), binding and serving every transport together.
//! - One server per transport, each serving any `Handler` (feature `worker`):
//!   `http::worker` (`POST /call` and the original's doors), `rpc` (tarpc),
//!   `grpc` (the generic `flexi.Worker` and the original's `logs.proto`),
//!   `amqp::server` (the worker's request queue), `nats::server` (its subject).
//!
//! The transports are features so that a service that only serves HTTP (the
//! front-end) links neither lapin, tarpc nor tonic.

#[cfg(feature = "amqp")]
pub mod amqp;
#[cfg(feature = "worker")]
pub mod grpc;
#[cfg(feature = "worker")]
pub mod guard;
pub mod http;
pub mod limits;
pub mod log_throttle;
pub mod metrics;
#[cfg(feature = "nats")]
pub mod nats;
pub mod retry;
#[cfg(feature = "worker")]
pub mod rpc;
pub mod secret;
#[cfg(feature = "worker")]
pub mod serve;
pub mod service;
pub mod shutdown;
pub mod telemetry;
pub mod timing;
pub mod trace;
#[cfg(feature = "worker")]
pub mod worker;
