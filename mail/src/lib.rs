//! # mail
//!
//! Sends mail over SMTP with lettre, configured with the Go original's variables
//! (`MAIL_DOMAIN`, `MAIL_HOST`, `MAIL_PORT`, `MAIL_ENCRYPTION`, `MAIL_USERNAME`,
//! `MAIL_PASSWORD`, `FROM_NAME`, `FROM_ADDRESS`). Each mail has an HTML body from
//! an askama template with its CSS inlined (css-inline: mail clients drop
//! `<style>` blocks), and a plain-text alternative. Served over HTTP
//! (`POST /send`), tarpc (`send_mail`) and gRPC (`mail.MailService/SendMail`).
//!
//! ## Layout
//! - [`settings`]: typed settings from environment variables.
//! - [`message`]: validation and rendering: payload → lettre `Message`.
//! - [`sender`]: the pooled SMTP transport and its error classification.
//! - [`error`]: the service's one error enum and its mapping to the contract.
//! - [`http`], [`rpc`], [`grpc`]: the three servers.
//! - [`startup`]: the [`Application`].

pub mod error;
pub mod grpc;
pub mod http;
pub mod message;
pub mod rpc;
pub mod sender;
pub mod settings;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
