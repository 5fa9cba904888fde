//! # flexi-protocol
//!
//! The wire contract every flexiconnect service agrees on. No service declares a
//! payload of its own: the broker, the workers, the listener and the tests all
//! speak through the types in this crate, so a change of the contract is a change
//! in one place.
//!
//! ## Layout
//! - [`json`]: the JSON envelope every HTTP answer uses (`{"error","message","data"}`)
//!   and the payloads of each action (`auth`, `log`, `mail`).
//! - [`request`]: the broker's `POST /handle` body and its parsing into a typed
//!   [`request::Dispatch`]; invalid input never gets past [`request::Dispatch::parse`].
//! - [`email`]: a validated e-mail address.
//! - [`compare`]: the comparison request (`POST /compare`) and its report.
//! - [`transport`]: the four transports a call can travel over.
//! - [`worker`]: what a worker answers on every transport: [`worker::WorkerError`] and
//!   its mapping to HTTP and gRPC status codes (the only place that mapping lives).
//! - [`grpc`]: the `.proto` files, compiled once by `build.rs`.
//! - [`rpc`]: the tarpc service traits.
//! - [`amqp`]: exchange, queue and routing-key names, and the request/reply message.

pub mod amqp;
pub mod compare;
pub mod email;
pub mod grpc;
pub mod json;
pub mod request;
pub mod rpc;
pub mod transport;
pub mod worker;

pub use email::Email;
pub use json::{Credentials, JsonResponse, LogPayload, LogRecord, MailPayload, User};
pub use request::{Call, Dispatch, RequestError};
pub use transport::Transport;
pub use worker::WorkerError;

/// What every `ping` answers, on every transport.
pub const PONG: &str = "pong";
