//! # mail
//!
//! Sends mail over SMTP with lettre, configured with the Go original's variables
//! (`MAIL_DOMAIN`, `MAIL_HOST`, `MAIL_PORT`, `MAIL_ENCRYPTION`, `MAIL_USERNAME`,
//! `MAIL_PASSWORD`, `FROM_NAME`, `FROM_ADDRESS`). Each mail has an HTML body from
//! an askama template with its CSS inlined (css-inline: mail clients drop
//! `<style>` blocks), and a plain-text alternative. One [`service::Mailer`]
//! handler, which the runtime serves over every transport (HTTP `POST /call`
//! and the Go original's `POST /send`, tarpc, gRPC, AMQP request/reply on its
//! queue `mail_requests`).
//!
//! ## Layout
//! - [`settings`]: typed settings from environment variables.
//! - [`service`]: [`service::Mailer`], the handler.
//! - [`message`]: rendering: payload → lettre `Message`.
//! - [`sender`]: the pooled SMTP transport and its error classification.
//! - [`error`]: the service's failures and how they become the contract's `WorkerError`.
//! - [`startup`]: the [`Application`].

pub mod error;
pub mod message;
pub mod sender;
pub mod service;
pub mod settings;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
