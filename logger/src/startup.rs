//! [`Application`]: binds every port in [`Application::build`], so tests can bind
//! port 0 and read the real ports back, then serves until told to stop.

use std::time::Duration;

use anyhow::Context;
use runtime::{
    service::Service,
    worker::{Listeners, Ports},
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{Settings, service::Logger, store::LogStore};

/// How long in-flight writes may take to drain after the servers stopped.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The logger, bound and ready to serve.
pub struct Application {
    listeners: Listeners<Logger>,
    writers: Vec<JoinHandle<()>>,
}

impl Service for Application {
    type Settings = Settings;
    type Ports = Ports;
    const NAME: &'static str = "logger";

    /// Opens the store and binds the HTTP, tarpc and gRPC ports.
    async fn build(settings: Settings) -> anyhow::Result<Self> {
        let (store, writers) = LogStore::open(&settings)
            .await
            .context("invalid MongoDB settings")?;
        let listeners = Listeners::bind(&settings.server, Logger { store }).await?;
        Ok(Self { listeners, writers })
    }

    fn ports(&self) -> Ports {
        self.listeners.ports()
    }

    /// Serves until `shutdown` is cancelled (or one server fails, which stops the
    /// others), then waits for in-flight writes to be stored.
    async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let served = self.listeners.serve(&shutdown).await;

        let drained = tokio::time::timeout(DRAIN_TIMEOUT, futures::future::join_all(self.writers));
        if drained.await.is_err() {
            tracing::warn!("in-flight writes did not drain within {DRAIN_TIMEOUT:?}");
        }
        tracing::info!("logger stopped");
        served
    }
}
