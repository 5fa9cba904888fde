//! [`Application`]: binds every port in `build`; prepares the database in the
//! background (with backoff), so the service starts before Postgres does.

use std::time::Duration;

use actix_web::web;
use anyhow::Context;
use protocol::rpc::{AuthenticationRequest, AuthenticationResponse};
use runtime::serve::Listeners;
use tokio_util::sync::CancellationToken;

use crate::{
    Settings, grpc,
    http::{self, HttpState},
    password::Hasher,
    rpc,
    service::Authenticator,
    store::{Readiness, UserStore},
};

/// The authentication service, bound and ready to serve.
pub struct Application {
    settings: Settings,
    auth: Authenticator,
    readiness: Readiness,
    listeners: Listeners<AuthenticationRequest, AuthenticationResponse>,
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
        tracing::info!(http_port, rpc_port, grpc_port, "authentication bound");
        Ok(Self {
            settings,
            auth,
            readiness,
            listeners,
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
        let (rpc_auth, grpc_auth) = (self.auth.clone(), self.auth.clone());
        let servers = self.listeners.serve(
            &shutdown,
            |listener, stop| rpc::serve(listener, rpc_auth, stop),
            |listener, stop| grpc::serve(listener, grpc_auth, stop),
        );
        let ((), served) = tokio::join!(prepare, servers);
        tracing::info!("authentication stopped");
        served
    }
}
