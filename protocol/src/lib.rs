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
//! - [`call`]: the [`Call`] every transport carries (the `/handle` JSON), the
//!   worker's [`Answer`], and which [`Worker`] serves which action.
//! - [`ping`]: a ping's optional [`PingPayload`], echoed back by the worker, and the
//!   check that the echo came back whole.
//! - [`text`]: validated strings ([`Email`], [`LogName`], [`Password`], [`Subject`]):
//!   payloads hold these, so a payload that deserialized is valid.
//! - [`request`]: the broker's `POST /handle` body ([`Dispatch`]: a call and its
//!   transport); invalid input never gets past [`Dispatch::parse`].
//! - [`timing`]: where the time of one call went: the worker's [`ServerTiming`]
//!   (the W3C `Server-Timing` header) and the broker's [`Timing`] breakdown.
//! - [`compare`]: the comparison request (`POST /compare`) and its report.
//! - [`transport`]: the four transports a call can travel over.
//! - [`worker`]: what a worker answers on every transport: [`worker::WorkerError`] and
//!   its mapping to HTTP and gRPC status codes (the only place that mapping lives).
//! - `grpc` (feature `grpc`): the `.proto` files, compiled once by `build.rs`, and
//!   the conversions between their messages and the contract's types.
//! - `rpc` (feature `rpc`): the tarpc service traits.
//! - [`amqp`]: exchange, queue and routing-key names, and the request/reply message.

pub mod amqp;
pub mod call;
pub mod compare;
#[cfg(feature = "grpc")]
pub mod grpc;
pub mod json;
pub mod ping;
pub mod request;
#[cfg(feature = "rpc")]
pub mod rpc;
pub mod text;
pub mod timing;
#[cfg(feature = "tokens")]
pub mod tokens;
pub mod transport;
pub mod worker;

pub use call::{Answer, Call, PerWorker, Worker};
pub use json::{Credentials, JsonResponse, LogPayload, LogRecord, MailPayload, User};
pub use ping::PingPayload;
pub use request::{Dispatch, RequestError};
pub use text::{Email, LogName, Password, Subject};
pub use timing::{ServerTiming, Timing};
pub use transport::Transport;
pub use worker::WorkerError;

/// What every `ping` answers, on every transport.
pub const PONG: &str = "pong";
