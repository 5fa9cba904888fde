//! [`Application`]: binds every port in `build`, serves until stopped.

use actix_web::web;
use anyhow::Context;
use protocol::{
    MailPayload,
    rpc::{MailerRequest, MailerResponse},
};
use runtime::serve::Listeners;
use tokio_util::sync::CancellationToken;

use crate::{
    Settings,
    error::MailError,
    grpc,
    http::{self, HttpState},
    message::{self, Sender},
    rpc,
    sender::Smtp,
};

/// Renders and sends mails; shared by the three transports.
#[derive(Clone)]
pub struct Mailer {
    sender: Sender,
    smtp: Smtp,
}

impl Mailer {
    /// Validates, renders and sends; the result message once SMTP took the mail.
    #[tracing::instrument(name = "send_mail", skip_all, fields(to = %mail.to))]
    pub async fn send(&self, mail: &MailPayload) -> Result<String, MailError> {
        let message = message::build(mail, &self.sender)?;
        self.smtp.send(message).await?;
        tracing::info!("mail sent");
        Ok(format!("sent to {}", mail.to.trim()))
    }
}

/// The mail service, bound and ready to serve.
pub struct Application {
    mailer: Mailer,
    listeners: Listeners<MailerRequest, MailerResponse>,
}

impl Application {
    /// Configures SMTP (no connection yet) and binds the HTTP, tarpc and gRPC ports.
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        settings.mail_password = runtime::secret::resolve(
            &settings.mail_password,
            settings.mail_password_file.as_deref(),
        )?;
        let sender = Sender {
            name: settings.from_name.clone(),
            address: settings
                .from_address
                .parse()
                .context("FROM_ADDRESS is not a valid address")?,
        };
        let smtp = Smtp::new(&settings).context("invalid SMTP settings")?;
        let mailer = Mailer { sender, smtp };

        let state = web::Data::new(HttpState {
            mailer: mailer.clone(),
            max_body_bytes: settings.max_body_bytes,
        });
        let routes = move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(state.clone());
            http::routes(cfg);
        };
        let listeners = Listeners::bind(
            (&settings.http_addr, settings.http_workers, routes),
            &settings.rpc_addr,
            &settings.grpc_addr,
        )
        .await?;
        let (http_port, rpc_port, grpc_port) = listeners.ports();
        tracing::info!(http_port, rpc_port, grpc_port, smtp = %settings.mail_host, "mail bound");
        Ok(Self { mailer, listeners })
    }

    /// The bound HTTP port.
    pub fn http_port(&self) -> u16 {
        self.listeners.ports().0
    }

    /// The bound tarpc port.
    pub fn rpc_port(&self) -> u16 {
        self.listeners.ports().1
    }

    /// The bound gRPC port.
    pub fn grpc_port(&self) -> u16 {
        self.listeners.ports().2
    }

    /// Serves until `shutdown` is cancelled; in-flight calls finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let (rpc_mailer, grpc_mailer) = (self.mailer.clone(), self.mailer);
        let served = self
            .listeners
            .serve(
                &shutdown,
                |listener, stop| rpc::serve(listener, rpc_mailer, stop),
                |listener, stop| grpc::serve(listener, grpc_mailer, stop),
            )
            .await;
        tracing::info!("mail stopped");
        served
    }
}
