//! # authentication
//!
//! Users in Postgres (sqlx, migrations run at start-up), passwords as bcrypt
//! hashes. One [`service::Authenticator`] handler, which the runtime serves
//! over every transport (HTTP `POST /call` and the Go original's
//! `POST /authenticate`, tarpc, gRPC, AMQP request/reply on its queue
//! `authentication_requests`); it publishes its token key at `GET /jwks.json`.
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
//! - [`service`]: [`service::Authenticator`], the handler.
//! - [`error`]: how the service's failures become the contract's `WorkerError`.
//! - [`tokens`]: the signed token of a login, and its key set.
//! - [`startup`]: the [`Application`].

pub mod error;
pub mod password;
pub mod service;
pub mod settings;
pub mod startup;
pub mod store;
pub mod tokens;

pub use settings::Settings;
pub use startup::Application;
