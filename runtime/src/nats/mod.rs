//! NATS: the settings every service that uses it flattens into its own,
//! connecting, the trace context in message headers, the event stream's
//! bounds ([`stream`]), and (`server`) a worker's request/reply server for any
//! handler.

#[cfg(feature = "worker")]
pub mod server;
pub mod stream;

use std::time::Duration;

use protocol::nats::NatsNames;

use crate::secret::Secret;

/// Env var: the NATS server's URL.
pub const ENV_NATS_URL: &str = "NATS_URL";
/// Env var: the user the service connects as.
pub const ENV_NATS_USER: &str = "NATS_USER";
/// Env var: that user's password.
pub const ENV_NATS_PASSWORD: &str = "NATS_PASSWORD";
/// Env var: a file holding that password (a Docker/Swarm secret).
pub const ENV_NATS_PASSWORD_FILE: &str = "NATS_PASSWORD_FILE";
/// Env var: a token in every subject and the stream's name.
pub const ENV_NATS_NAMESPACE: &str = "NATS_NAMESPACE";

/// NATS settings of every service that uses it (flattened into theirs).
#[derive(Debug, Clone, clap::Args)]
pub struct NatsSettings {
    /// The NATS server's URL (`nats://host:4222`).
    #[arg(long, env = ENV_NATS_URL, default_value = "nats://127.0.0.1:4222")]
    pub nats_url: String,
    /// The user the service connects as; none: anonymous (the local stack).
    #[arg(long, env = ENV_NATS_USER)]
    pub nats_user: Option<String>,
    /// `NATS_USER`'s password.
    #[arg(long, env = ENV_NATS_PASSWORD, hide_env_values = true)]
    pub nats_password: Option<Secret>,
    /// A file holding `NATS_USER`'s password; wins over `NATS_PASSWORD`.
    #[arg(long, env = ENV_NATS_PASSWORD_FILE)]
    pub nats_password_file: Option<std::path::PathBuf>,
    /// A token in every subject (`flexi.<ns>.calls.logger`) and a suffix of the
    /// stream's name; empty: none. Lets two stacks, or parallel tests, share
    /// one NATS server.
    #[arg(long, env = ENV_NATS_NAMESPACE, default_value = "")]
    pub nats_namespace: String,
    /// How much the event stream keeps (the broker and the listener make
    /// sure of it; workers do not use it).
    #[command(flatten)]
    pub stream: stream::StreamSettings,
}

impl Default for NatsSettings {
    fn default() -> Self {
        Self {
            nats_url: "nats://127.0.0.1:4222".into(),
            nats_user: None,
            nats_password: None,
            nats_password_file: None,
            nats_namespace: String::new(),
            stream: stream::StreamSettings::default(),
        }
    }
}

impl NatsSettings {
    /// The subjects and stream these settings select.
    pub fn names(&self) -> NatsNames {
        NatsNames::new(&self.nats_namespace)
    }

    /// Connects as `service` (the connection's name in the server's
    /// monitoring), once: the client reconnects by itself afterwards,
    /// holding what is published meanwhile. `timeout` bounds the first
    /// connection.
    pub async fn connect(
        &self,
        service: &str,
        timeout: Duration,
    ) -> anyhow::Result<async_nats::Client> {
        let mut options = async_nats::ConnectOptions::new()
            .name(service)
            .connection_timeout(timeout)
            .request_timeout(None);
        if let Some(user) = &self.nats_user {
            let password = crate::secret::resolve(
                self.nats_password.as_ref().unwrap_or(&Secret::default()),
                self.nats_password_file.as_deref(),
            )?;
            options = options.user_and_password(user.clone(), password.expose().to_owned());
        }
        Ok(options.connect(self.nats_url.as_str()).await?)
    }
}

/// A message's headers as a trace context carrier to read.
pub struct HeaderReader<'a>(pub Option<&'a async_nats::HeaderMap>);

impl opentelemetry::propagation::Extractor for HeaderReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0?.get(key).map(async_nats::HeaderValue::as_str)
    }

    fn keys(&self) -> Vec<&str> {
        let keys = self
            .0
            .map(|headers| headers.iter().map(|(name, _)| name.as_ref()));
        keys.into_iter().flatten().collect()
    }
}

/// A message's headers as a trace context carrier to write.
pub struct HeaderWriter<'a>(pub &'a mut async_nats::HeaderMap);

impl opentelemetry::propagation::Injector for HeaderWriter<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key, value.as_str());
    }
}

/// The context of one received message, in the trace its headers carry (or a
/// new one), and its span when spans are exported (`Span::none()` otherwise):
/// a request served (`kind` `server`) or an event consumed (`consumer`).
pub fn received(
    kind: &'static str,
    subject: &str,
    headers: Option<&async_nats::HeaderMap>,
) -> (tracing::Span, Option<crate::trace::Current>) {
    let span = crate::trace::server_span(|| {
        tracing::info_span!(
            "NATS message",
            otel.kind = kind,
            messaging.system = "nats",
            messaging.destination.name = subject,
        )
    });
    let current = crate::trace::continue_from(&span, &HeaderReader(headers));
    (span, current)
}

/// Headers that carry the current trace.
pub fn headers() -> async_nats::HeaderMap {
    let mut headers = async_nats::HeaderMap::new();
    crate::trace::inject(&mut HeaderWriter(&mut headers));
    headers
}
