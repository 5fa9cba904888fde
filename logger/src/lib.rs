//! # logger
//!
//! Stores log entries in MongoDB (`logs` database, `logs` collection, documents
//! `{name, data, created_at, updated_at}`) and serves the same operation over four
//! transports: HTTP (`POST /log`, `GET /logs`), tarpc (`log_info`), gRPC
//! (`logs.LogService/WriteLog`, the Go original's proto) and AMQP request/reply
//! (its queue `logger_requests`).
//!
//! ## Layout
//! - [`settings`]: typed settings from environment variables.
//! - [`store`]: MongoDB access. Writes are *group-committed*: concurrent inserts
//!   are gathered into one `insert_many` while the previous one is in flight, so a
//!   burst costs a few round trips instead of one per entry, and an answer still
//!   means the entry is stored.
//! - [`service`]: [`service::Logger`], the operations every transport calls (AMQP
//!   through its `Handler`).
//! - [`error`]: how a store failure becomes the contract's `WorkerError`.
//! - [`http`], [`rpc`], [`grpc`]: the servers, thin adapters over [`service`].
//! - [`startup`]: [`Application`]: binds every port in `build`, runs until the
//!   shutdown token is cancelled, then drains in-flight writes.

pub mod error;
pub mod grpc;
pub mod http;
pub mod rpc;
pub mod service;
pub mod settings;
pub mod startup;
pub mod store;

pub use settings::Settings;
pub use startup::Application;
