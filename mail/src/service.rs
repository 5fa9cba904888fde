//! The mail service: one [`Handler`] for the action it serves, whatever the
//! transport (the runtime serves it over each).

use protocol::{Answer, Call, Data, MailPayload, Worker, WorkerError};
use runtime::{
    timing::dependency,
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
    async fn send(&self, mail: MailPayload) -> Result<Answer, WorkerError> {
        let message = message::build(&mail, &self.sender)?;
        dependency("SMTP send", self.smtp.send(message)).await?;
        tracing::info!("mail sent");
        Ok(Answer::new(format!("sent to {}", mail.to), Data::Mail))
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
