//! # mail
//!
//! Sends mail over SMTP with lettre, configured with the Go original's variables
//! (`MAIL_DOMAIN`, `MAIL_HOST`, `MAIL_PORT`, `MAIL_ENCRYPTION`, `MAIL_USERNAME`,
//! `MAIL_PASSWORD`, `FROM_NAME`, `FROM_ADDRESS`). Each mail has an HTML body from
//! an askama template with its CSS inlined (css-inline: mail clients drop
//! `<style>` blocks), and a plain-text alternative. Served over HTTP
//! (`POST /send`), tarpc (`send_mail`), gRPC (`mail.MailService/SendMail`) and
//! AMQP request/reply (its queue `mail_requests`).
//!
//! ## Layout
//! - [`settings`]: typed settings from environment variables.
//! - [`service`]: [`service::Mailer`], what every transport calls.
//! - [`message`]: rendering: payload → lettre `Message`.
//! - [`sender`]: the pooled SMTP transport and its error classification.
//! - [`error`]: the service's failures and how they become the contract's `WorkerError`.
//! - [`http`], [`rpc`], [`grpc`]: the servers, thin adapters over [`service`].
//! - [`startup`]: the [`Application`].

pub mod error;
pub mod grpc;
pub mod http;
pub mod message;
pub mod rpc;
pub mod sender;
pub mod service;
pub mod settings;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
