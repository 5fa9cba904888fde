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
//! - [`action`]: the [`Action`] list every other list derives from, and what
//!   each action is (its worker, its default transport, its original door).
//! - [`call`]: the [`Call`] every transport carries (the `/handle` JSON, or
//!   its binary form), the worker's [`Answer`] with one [`Data`] variant per
//!   action, and the [`Reply`] of the JSON wires.
//! - [`batch`]: several calls in one request (an array to `POST /call`), each in its own
//!   trace, answered in order.
//! - [`logs`]: the `logs` action's query, checked field by field, and its page.
//! - [`ping`]: a ping's optional [`PingPayload`], echoed back by the worker, and the
//!   check that the echo came back whole.
//! - [`text`]: validated strings ([`Email`], [`LogName`], [`Password`], [`Subject`]):
//!   payloads hold these, so a payload that deserialized is valid.
//! - [`request`]: the broker's `POST /handle` body ([`Dispatch`]: a call and its
//!   transport); invalid input never gets past [`Dispatch::parse`].
//! - [`timing`]: where the time of one call went: the worker's [`ServerTiming`]
//!   (carried in its answer) and the broker's [`Timing`] breakdown.
//! - [`compare`]: the comparison request (`POST /compare`) and its report.
//! - [`transport`]: the five transports a call can travel over.
//! - [`worker`]: the three [`Worker`]s, and what a worker answers on every
//!   transport when it fails: [`worker::WorkerError`] and its mapping to HTTP
//!   and gRPC status codes (the only place that mapping lives).
//! - `grpc` (feature `grpc`): the `.proto` files, compiled once by `build.rs`
//!   (the Go original's `logs.proto` and our generic `flexi.Worker` service),
//!   and the conversions between their messages and the contract's types.
//! - `rpc` (feature `rpc`): the one tarpc service, `call(Call) -> Answer`.
//! - [`amqp`]: exchange, queue and routing-key names.
//! - [`nats`]: subjects, the JetStream stream and its consumer.

pub mod action;
pub mod amqp;
pub mod batch;
pub mod call;
pub mod compare;
#[cfg(feature = "grpc")]
pub mod grpc;
pub mod json;
mod listed;
pub mod logs;
pub mod nats;
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

pub use action::Action;
pub use call::{Answer, Call, Data, Login, Reply};
pub use json::{Credentials, JsonResponse, LogPayload, MailPayload, User};
pub use ping::PingPayload;
pub use request::{Bus, Dispatch, RequestError};
pub use text::{Email, LogName, Password, Subject};
pub use timing::{ServerTiming, Timing};
pub use transport::Transport;
pub use worker::{PerWorker, Worker, WorkerError};

/// What every `ping` answers, on every transport.
pub const PONG: &str = "pong";
