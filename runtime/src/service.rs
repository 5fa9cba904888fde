//! [`Service`]: what every service's `Application` is, so that a binary's `main`
//! and a test start each of them the same way.

use std::future::Future;

use tokio_util::sync::CancellationToken;

/// A service: built from its settings (binding every port, so tests can bind
/// port 0 and read the ports back), then run until a shutdown token is
/// cancelled.
pub trait Service: Sized + Send + 'static {
    /// Its typed settings, read from environment variables.
    type Settings: clap::Parser + Send;
    /// The ports it binds (one, or a worker's three).
    type Ports: std::fmt::Debug;
    /// Its name, in logs.
    const NAME: &'static str;

    /// Binds every port; connects to nothing that may still be starting.
    fn build(settings: Self::Settings) -> impl Future<Output = anyhow::Result<Self>> + Send;

    /// The ports `build` bound (tests bind port 0 and read them back).
    fn ports(&self) -> Self::Ports;

    /// Serves until `shutdown` is cancelled, then finishes in-flight work.
    fn run_until_stopped(
        self,
        shutdown: CancellationToken,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// A service binary's whole `main`, on the runtime `main` chose: telemetry,
/// settings from the environment, stop on SIGTERM or Ctrl-C, the last spans
/// sent.
pub async fn run<S: Service>() -> anyhow::Result<()> {
    crate::telemetry::init(S::NAME);
    let settings = <S::Settings as clap::Parser>::parse();
    let shutdown = crate::shutdown::on_signal();
    let service = S::build(settings).await?;
    tracing::info!(service = S::NAME, ports = ?service.ports(), "bound");
    let result = service.run_until_stopped(shutdown).await;
    crate::trace::shutdown().await;
    result
}
