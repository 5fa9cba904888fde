//! The tarpc services. The trait is the contract: the worker implements it and the
//! broker calls the generated client, both from this one definition. Every method
//! answers the worker's [`Answer`], as every other transport does.

use crate::{Answer, Credentials, LogPayload, MailPayload, PingPayload, WorkerError};

/// The logger over tarpc. The method keeps the Go original's RPC name, `LogInfo`.
#[tarpc::service]
pub trait Logger {
    /// Stores one entry; answers once it is in MongoDB.
    async fn log_info(entry: LogPayload) -> Result<Answer, WorkerError>;
    /// Answers [`crate::PONG`] without touching MongoDB: the transport's own cost;
    /// with a payload, its data comes back in [`Answer::echo`].
    async fn ping(payload: Option<PingPayload>) -> Result<Answer, WorkerError>;
}

/// The authentication service over tarpc.
#[tarpc::service]
pub trait Authentication {
    /// Checks the credentials; the user (without password) when they match.
    async fn authenticate(credentials: Credentials) -> Result<Answer, WorkerError>;
}

/// The mail service over tarpc.
#[tarpc::service]
pub trait Mailer {
    /// Sends the mail; answers once the SMTP server took it.
    async fn send_mail(mail: MailPayload) -> Result<Answer, WorkerError>;
}
