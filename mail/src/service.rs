//! Rendering and sending, shared by the mail service's four transports.

use protocol::{Answer, Call, MailPayload, Worker, WorkerError};
use runtime::{
    timing::{dependency, timed},
    worker::{Handler, not_served},
};

use crate::{
    message::{self, Sender},
    sender::Smtp,
};

/// Renders and sends mails.
#[derive(Clone)]
pub struct Mailer {
    /// The default sender.
    pub sender: Sender,
    /// The pooled SMTP transport.
    pub smtp: Smtp,
}

impl Mailer {
    /// Renders and sends; answers `sent to <to>` once SMTP took the mail.
    pub async fn send(&self, mail: MailPayload) -> Result<Answer, WorkerError> {
        timed(async {
            let message = message::build(&mail, &self.sender)?;
            dependency("SMTP send", self.smtp.send(message)).await?;
            tracing::info!("mail sent");
            Ok(Answer::message(format!("sent to {}", mail.to)))
        })
        .await
    }
}

impl Handler for Mailer {
    const WORKER: Worker = Worker::Mail;

    async fn handle(&self, call: Call) -> Result<Answer, WorkerError> {
        match call {
            Call::Mail { mail } => self.send(mail).await,
            other => Err(not_served(Self::WORKER, &other)),
        }
    }
}
