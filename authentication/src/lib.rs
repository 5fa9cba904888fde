//! # authentication
//!
//! Users in Postgres (sqlx, migrations run at start-up), passwords as bcrypt
//! hashes. Authenticates over HTTP (`POST /authenticate`), tarpc
//! (`authenticate`), gRPC (`auth.AuthService/Authenticate`) and AMQP
//! request/reply (its queue `authentication_requests`).
//!
//! - bcrypt runs on the blocking pool, never on the async runtime, and at most
//!   one hash per CPU core at a time.
//! - An unknown e-mail is checked against a dummy hash of the same cost, so it
//!   answers with the same message after about the same time as a wrong password.
//! - A [`protocol::User`] has no password field: no answer can carry the hash.
//! - A successful login writes the log entry `authentication` /
//!   `<email> logged in` through the logger, as the original does, in the
//!   background: the login never fails because the logger is down.
//!
//! ## Layout
//! - [`settings`]: typed settings from environment variables.
//! - [`store`]: Postgres: database creation, migrations, the seed user, lookups.
//! - [`password`]: bcrypt off the runtime.
//! - [`service`]: [`service::Authenticator`], the one operation every transport calls.
//! - [`error`]: how the service's failures become the contract's `WorkerError`.
//! - [`http`], [`rpc`], [`grpc`]: the servers, thin adapters over [`service`].
//! - [`startup`]: the [`Application`].

pub mod error;
pub mod grpc;
pub mod http;
pub mod password;
pub mod rpc;
pub mod service;
pub mod settings;
pub mod startup;
pub mod store;
pub mod tokens;

pub use settings::Settings;
pub use startup::Application;
