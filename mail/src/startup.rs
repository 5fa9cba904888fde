//! [`Application`]: binds every port in `build`, serves until stopped.

use actix_web::{dev::Server, web};
use anyhow::Context;
use protocol::MailPayload;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    Settings,
    error::MailError,
    grpc,
    http::{self, HttpState},
    message::{self, Sender},
    rpc::{self, RpcListener},
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
    http_server: Server,
    http_port: u16,
    rpc_listener: RpcListener,
    rpc_port: u16,
    grpc_listener: TcpListener,
    grpc_port: u16,
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
        let (http_server, http_port) =
            runtime::http::bind_server(&settings.http_addr, settings.http_workers, move |cfg| {
                cfg.app_data(state.clone());
                http::routes(cfg);
            })?;
        let rpc_listener = runtime::rpc::bind(&settings.rpc_addr)
            .await
            .with_context(|| format!("cannot bind tarpc on {}", settings.rpc_addr))?;
        let rpc_port = rpc_listener.local_addr().port();
        let grpc_listener = TcpListener::bind(&settings.grpc_addr)
            .await
            .with_context(|| format!("cannot bind gRPC on {}", settings.grpc_addr))?;
        let grpc_port = grpc_listener.local_addr()?.port();
        tracing::info!(http_port, rpc_port, grpc_port, smtp = %settings.mail_host, "mail bound");
        Ok(Self {
            mailer,
            http_server,
            http_port,
            rpc_listener,
            rpc_port,
            grpc_listener,
            grpc_port,
        })
    }

    /// The bound HTTP port.
    pub fn http_port(&self) -> u16 {
        self.http_port
    }

    /// The bound tarpc port.
    pub fn rpc_port(&self) -> u16 {
        self.rpc_port
    }

    /// The bound gRPC port.
    pub fn grpc_port(&self) -> u16 {
        self.grpc_port
    }

    /// Serves until `shutdown` is cancelled; in-flight calls finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let (http, stop) = (self.http_server, shutdown.clone());
        let (rpc, rpc_mailer, rpc_stop) =
            (self.rpc_listener, self.mailer.clone(), shutdown.clone());
        let (grpc, grpc_mailer, grpc_stop) =
            (self.grpc_listener, self.mailer.clone(), shutdown.clone());
        let served = runtime::serve::together(
            &shutdown,
            vec![
                (
                    "HTTP",
                    Box::pin(async move { Ok(runtime::http::serve_until(http, stop).await?) }),
                ),
                (
                    "tarpc",
                    Box::pin(async move {
                        rpc::serve(rpc, rpc_mailer, rpc_stop).await;
                        Ok(())
                    }),
                ),
                (
                    "gRPC",
                    Box::pin(async move { Ok(grpc::serve(grpc, grpc_mailer, grpc_stop).await?) }),
                ),
            ],
        )
        .await;
        tracing::info!("mail stopped");
        served
    }
}
