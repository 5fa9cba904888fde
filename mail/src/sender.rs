//! The pooled SMTP transport.

use std::time::Duration;

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    transport::smtp::{authentication::Credentials, extension::ClientId},
};

use crate::{
    error::MailError,
    settings::{Encryption, Settings},
};

/// A pooled SMTP connection to the configured server.
#[derive(Clone)]
pub struct Smtp {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl Smtp {
    /// Configures the transport (it connects on the first mail).
    pub fn new(settings: &Settings) -> Result<Self, lettre::transport::smtp::Error> {
        let host = settings.mail_host.as_str();
        let mut builder = match settings.mail_encryption {
            Encryption::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
            Encryption::Tls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)?,
            Encryption::Ssl => AsyncSmtpTransport::<Tokio1Executor>::relay(host)?,
        }
        .port(settings.mail_port)
        .hello_name(ClientId::Domain(settings.mail_domain.clone()))
        .timeout(Some(Duration::from_millis(settings.smtp_timeout_ms)));
        if !settings.mail_username.is_empty() {
            builder = builder.credentials(Credentials::new(
                settings.mail_username.clone(),
                settings.mail_password.expose().to_owned(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
        })
    }

    /// Sends one message; returns once the server accepted it.
    pub async fn send(&self, message: Message) -> Result<(), MailError> {
        self.transport.send(message).await.map(|_| ()).map_err(|e| {
            if e.is_permanent() {
                MailError::Rejected(e)
            } else {
                // Connection refused or reset, timeout, TLS, a 4xx: worth trying later.
                MailError::Unavailable(e)
            }
        })
    }
}
