//! [`Application`]: binds every port in [`Application::build`], so tests can bind
//! port 0 and read the real ports back, then serves until told to stop.

use std::time::Duration;

use actix_web::web;
use anyhow::Context;
use protocol::rpc::{LoggerRequest, LoggerResponse};
use runtime::serve::Listeners;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::{
    Settings, grpc,
    http::{self, HttpState},
    rpc,
    store::LogStore,
};

/// How long in-flight writes may take to drain after the servers stopped.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The logger, bound and ready to serve.
pub struct Application {
    listeners: Listeners<LoggerRequest, LoggerResponse>,
    store: LogStore,
    writers: Vec<JoinHandle<()>>,
}

impl Application {
    /// Opens the store and binds the HTTP, tarpc and gRPC ports.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let (store, writers) = LogStore::open(&settings)
            .await
            .context("invalid MongoDB settings")?;

        let state = web::Data::new(HttpState {
            store: store.clone(),
            max_body_bytes: settings.max_body_bytes,
        });
        let routes = move |cfg: &mut web::ServiceConfig| {
            cfg.app_data(state.clone())
                .app_data(runtime::http::query_config());
            http::routes(cfg);
        };
        let listeners = Listeners::bind(
            (&settings.http_addr, settings.http_workers, routes),
            &settings.rpc_addr,
            &settings.grpc_addr,
        )
        .await?;
        let (http_port, rpc_port, grpc_port) = listeners.ports();
        tracing::info!(http_port, rpc_port, grpc_port, database = %settings.mongo_database, "logger bound");
        Ok(Self {
            listeners,
            store,
            writers,
        })
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

    /// Serves until `shutdown` is cancelled (or one server fails, which stops the
    /// others), then waits for in-flight writes to be stored.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let (rpc_store, grpc_store) = (self.store.clone(), self.store.clone());
        let served = self
            .listeners
            .serve(
                &shutdown,
                |listener, stop| rpc::serve(listener, rpc_store, stop),
                |listener, stop| grpc::serve(listener, grpc_store, stop),
            )
            .await;

        drop(self.store);
        let drained = tokio::time::timeout(DRAIN_TIMEOUT, futures::future::join_all(self.writers));
        if drained.await.is_err() {
            tracing::warn!("in-flight writes did not drain within {DRAIN_TIMEOUT:?}");
        }
        tracing::info!("logger stopped");
        served
    }
}
