//! # logger
//!
//! Stores log entries in MongoDB (`logs` database, `logs` collection, documents
//! `{name, data, created_at, updated_at, trace_id}`), lists them (the `logs`
//! action) and answers pings. It is one
//! [`service::Logger`] handler; the runtime serves it over every transport
//! (HTTP `POST /call` and the Go original's `POST /log`, tarpc, gRPC with the
//! original's `logs.LogService/WriteLog`, and AMQP request/reply on its queue
//! `logger_requests`).
//!
//! ## Layout
//! - [`settings`]: typed settings from environment variables.
//! - [`store`]: MongoDB access. Writes are *group-committed*: concurrent inserts
//!   are gathered into one `insert_many` while the previous one is in flight, so a
//!   burst costs a few round trips instead of one per entry, and an answer still
//!   means the entry is stored.
//! - [`service`]: [`service::Logger`], the handler of the actions it serves.
//! - [`error`]: how a store failure becomes the contract's `WorkerError`.
//! - [`startup`]: [`Application`]: binds every port in `build`, runs until the
//!   shutdown token is cancelled, then drains in-flight writes.

pub mod error;
pub mod service;
pub mod settings;
pub mod startup;
pub mod store;

pub use settings::Settings;
pub use startup::Application;
