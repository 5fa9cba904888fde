//! [`Application`]: binds every port in `build`, serves until stopped.

use anyhow::Context;
use runtime::{
    service::Service,
    worker::{Listeners, Ports},
};
use tokio_util::sync::CancellationToken;

use crate::{Settings, message::Sender, sender::Smtp, service::Mailer};

/// The mail service, bound and ready to serve.
pub struct Application {
    listeners: Listeners<Mailer>,
}

/// A list of domains from a setting: trimmed, lower-case, no empty ones.
fn domains(setting: &[String]) -> Vec<String> {
    setting
        .iter()
        .map(|domain| domain.trim().to_ascii_lowercase())
        .filter(|domain| !domain.is_empty())
        .collect()
}

impl Service for Application {
    type Settings = Settings;
    type Ports = Ports;
    const NAME: &'static str = "mail";

    /// Configures SMTP (no connection yet) and binds the HTTP, tarpc and gRPC ports.
    async fn build(mut settings: Settings) -> anyhow::Result<Self> {
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
            allowed_domains: domains(&settings.mail_allowed_domains),
            recipient_domains: domains(&settings.mail_recipient_domains),
        };
        let smtp = Smtp::new(&settings).context("invalid SMTP settings")?;
        let mailer = Mailer { sender, smtp };
        let listeners = Listeners::bind(&settings.server, mailer).await?;
        Ok(Self { listeners })
    }

    fn ports(&self) -> Ports {
        self.listeners.ports()
    }

    /// Serves until `shutdown` is cancelled; in-flight calls finish.
    async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let served = self.listeners.serve(&shutdown).await;
        tracing::info!("mail stopped");
        served
    }
}
