//! [`Application`]: binds every port in `build`; prepares the database in the
//! background (with backoff), so the service starts before Postgres does.

use crate::tokens::Issuer;
use std::time::Duration;

use anyhow::Context;
use runtime::{
    service::Service,
    worker::{Listeners, Ports},
};
use tokio_util::sync::CancellationToken;

use crate::{
    Settings,
    password::Hasher,
    service::Authenticator,
    store::{Readiness, UserStore},
};

/// The authentication service, bound and ready to serve.
pub struct Application {
    settings: Settings,
    auth: Authenticator,
    readiness: Readiness,
    listeners: Listeners<Authenticator>,
}

impl Service for Application {
    type Settings = Settings;
    type Ports = Ports;
    const NAME: &'static str = "authentication";

    /// Builds the pool (lazily connected) and bcrypt's dummy hash, and binds the
    /// HTTP, tarpc and gRPC ports.
    async fn build(settings: Settings) -> anyhow::Result<Self> {
        let settings = settings.resolve_secret_files()?;
        let (store, readiness) = UserStore::connect_lazy(
            &settings.dsn,
            Duration::from_millis(settings.pg_timeout_ms),
            settings.pg_max_connections,
        )
        .context("invalid DSN")?;
        let hasher = Hasher::new(settings.bcrypt_cost, settings.bcrypt_queue)
            .await
            .context("invalid BCRYPT_COST")?;
        let issuer = Issuer::new(
            settings.jwt_private_key.expose(),
            Duration::from_secs(settings.token_lifetime_secs),
        )?;
        let auth = Authenticator {
            store,
            hasher,
            issuer,
            logger: Authenticator::logger_client(
                &settings.logger_url,
                settings.server.limits.client_idle(),
            )?,
        };

        let listeners = Listeners::bind(&settings.server, auth.clone()).await?;
        Ok(Self {
            settings,
            auth,
            readiness,
            listeners,
        })
    }

    fn ports(&self) -> Ports {
        self.listeners.ports()
    }

    /// Prepares the database (retrying with backoff until Postgres answers) and
    /// serves until `shutdown` is cancelled; in-flight calls finish.
    async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
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
        let servers = self.listeners.serve(&shutdown);
        let ((), served) = tokio::join!(prepare, servers);
        tracing::info!("authentication stopped");
        served
    }
}
