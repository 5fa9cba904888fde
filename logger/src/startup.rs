//! [`Application`]: binds every port in [`Application::build`], so tests can bind
//! port 0 and read the real ports back, then serves until told to stop.

use std::time::Duration;

use actix_web::{dev::Server, web};
use anyhow::Context;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{
    Settings, grpc,
    http::{self, HttpState},
    rpc::{self, RpcListener},
    store::LogStore,
};

/// How long in-flight writes may take to drain after the servers stopped.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// The logger, bound and ready to serve.
pub struct Application {
    http_server: Server,
    http_port: u16,
    rpc_listener: RpcListener,
    rpc_port: u16,
    grpc_listener: TcpListener,
    grpc_port: u16,
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
        let (http_server, http_port) =
            runtime::http::bind_server(&settings.http_addr, settings.http_workers, move |cfg| {
                cfg.app_data(state.clone())
                    .app_data(runtime::http::query_config());
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

        tracing::info!(http_port, rpc_port, grpc_port, database = %settings.mongo_database, "logger bound");
        Ok(Self {
            http_server,
            http_port,
            rpc_listener,
            rpc_port,
            grpc_listener,
            grpc_port,
            store,
            writers,
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

    /// Serves until `shutdown` is cancelled (or one server fails, which stops the
    /// others), then waits for in-flight writes to be stored.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let (http, stop) = (self.http_server, shutdown.clone());
        let (rpc, rpc_store, rpc_stop) = (self.rpc_listener, self.store.clone(), shutdown.clone());
        let (grpc, grpc_store, grpc_stop) =
            (self.grpc_listener, self.store.clone(), shutdown.clone());
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
                        rpc::serve(rpc, rpc_store, rpc_stop).await;
                        Ok(())
                    }),
                ),
                (
                    "gRPC",
                    Box::pin(async move { Ok(grpc::serve(grpc, grpc_store, grpc_stop).await?) }),
                ),
            ],
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
