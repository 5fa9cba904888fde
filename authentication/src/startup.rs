//! [`Application`]: binds every port in `build`; prepares the database in the
//! background (with backoff), so the service starts before Postgres does.

use std::time::Duration;

use actix_web::{dev::Server, web};
use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{
    Settings, grpc,
    http::{self, HttpState},
    password::Hasher,
    rpc::{self, RpcListener},
    service::Authenticator,
    store::{Readiness, UserStore},
};

/// The authentication service, bound and ready to serve.
pub struct Application {
    settings: Settings,
    auth: Authenticator,
    readiness: Readiness,
    http_server: Server,
    http_port: u16,
    rpc_listener: RpcListener,
    rpc_port: u16,
    grpc_listener: TcpListener,
    grpc_port: u16,
}

impl Application {
    /// Builds the pool (lazily connected) and bcrypt's dummy hash, and binds the
    /// HTTP, tarpc and gRPC ports.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let settings = settings.resolve_secret_files()?;
        let (store, readiness) = UserStore::connect_lazy(
            &settings.dsn,
            Duration::from_millis(settings.pg_timeout_ms),
            settings.pg_max_connections,
        )
        .context("invalid DSN")?;
        let hasher = Hasher::new(settings.bcrypt_cost)
            .await
            .context("invalid BCRYPT_COST")?;
        let auth = Authenticator {
            store,
            hasher,
            logger: Authenticator::logger_client(&settings.logger_url)?,
        };

        let state = web::Data::new(HttpState {
            auth: auth.clone(),
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
        tracing::info!(http_port, rpc_port, grpc_port, "authentication bound");
        Ok(Self {
            settings,
            auth,
            readiness,
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

    /// Prepares the database (retrying with backoff until Postgres answers) and
    /// serves until `shutdown` is cancelled; in-flight calls finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let settings = self.settings;
        let prepare = {
            let auth = self.auth.clone();
            let shutdown = shutdown.clone();
            async move {
                let seed = (!settings.seed_password.expose().is_empty())
                    .then_some((settings.seed_email.as_str(), &settings.seed_password));
                let prepared = runtime::retry::until_ok("postgres", &shutdown, || {
                    auth.store
                        .prepare(&settings.dsn, &auth.hasher, seed, &self.readiness)
                });
                if prepared.await.is_some() {
                    tracing::info!("user database ready");
                }
            }
        };
        let (http, stop) = (self.http_server, shutdown.clone());
        let (rpc, rpc_auth, rpc_stop) = (self.rpc_listener, self.auth.clone(), shutdown.clone());
        let (grpc, grpc_auth, grpc_stop) =
            (self.grpc_listener, self.auth.clone(), shutdown.clone());
        let servers = runtime::serve::together(
            &shutdown,
            vec![
                (
                    "HTTP",
                    Box::pin(async move { Ok(runtime::http::serve_until(http, stop).await?) }),
                ),
                (
                    "tarpc",
                    Box::pin(async move {
                        rpc::serve(rpc, rpc_auth, rpc_stop).await;
                        Ok(())
                    }),
                ),
                (
                    "gRPC",
                    Box::pin(async move { Ok(grpc::serve(grpc, grpc_auth, grpc_stop).await?) }),
                ),
            ],
        );
        let ((), served) = tokio::join!(prepare, servers);
        tracing::info!("authentication stopped");
        served
    }
}
