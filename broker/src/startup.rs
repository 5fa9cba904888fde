//! [`Application`]: builds the transport clients, binds in `build` (tests bind
//! port 0 and read it back), serves until the shutdown token is cancelled.

use std::{sync::Arc, time::Duration};

use actix_web::{dev::Server, middleware::from_fn, web};
use anyhow::Context;
use clients::{
    amqp::AmqpClient, breaker::Breakers, grpc::GrpcClient, http::HttpClient, nats::NatsClient,
    rpc::RpcClient,
};
use protocol::PerWorker;
use tokio_util::sync::CancellationToken;

use crate::{
    Settings,
    comparisons::Comparisons,
    dispatch::Clients,
    origins::{Origins, refuse_other_origins},
    rate_limit::{RateLimit, limit_each_client},
    routes::{self, BrokerState},
    tokens::Tokens,
};

/// The broker, bound and ready to serve.
pub struct Application {
    server: Server,
    port: u16,
}

impl Application {
    /// Builds every transport client (none connects yet: each connects on first
    /// use and reconnects by itself) and binds the HTTP port.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let clients = clients(&settings)?;
        let origins = Origins::parse(&settings.cors_origins)?;
        // One limiter for every actix-web worker: a client's quota is the broker's.
        let rate_limit = RateLimit::new(
            settings.rate_limit_per_second,
            settings.rate_limit_burst,
            &settings.trusted_proxies,
        )?;
        let edge = runtime::limits::Edge::new(&settings.limits);
        let jwks_url = match settings.jwks_url.as_str() {
            "" => format!("{}/jwks.json", settings.auth_url.trim_end_matches('/')),
            url => url.to_owned(),
        };
        let tokens = Arc::new(Tokens::new(
            &settings.token_required_for,
            &jwks_url,
            settings.token_leeway_secs,
        )?);
        let compare_max_duration = Duration::from_secs(settings.compare_max_seconds);
        let compare_max_total = Duration::from_secs(settings.compare_max_total_seconds);
        let comparisons = Arc::new(Comparisons::default());
        let routes = move |cfg: &mut web::ServiceConfig| {
            // Runs once per actix-web worker, on its thread: each worker gets
            // tarpc and gRPC connections of its own (RabbitMQ, HTTP and the
            // circuit breakers stay shared).
            cfg.app_data(web::Data::new(BrokerState {
                dispatcher: clients.dispatcher(),
                compare_max_duration,
                compare_max_total,
                comparisons: Arc::clone(&comparisons),
                tokens: Arc::clone(&tokens),
            }))
            .app_data(web::Data::new(origins.clone()))
            .app_data(web::Data::new(rate_limit.clone()))
            .service(
                // Outermost first: another page's request is refused; the
                // listed page's answers, a 429 included, carry CORS headers.
                web::scope("")
                    .wrap(from_fn(limit_each_client))
                    .wrap(origins.cors())
                    .wrap(from_fn(refuse_other_origins))
                    .configure(routes::routes),
            );
        };
        let (server, port) =
            runtime::http::bind_server(&settings.http_addr, settings.http_workers, &edge, routes)?;
        tracing::info!(port, "broker bound");
        Ok(Self { server, port })
    }

    /// The bound HTTP port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` is cancelled; in-flight requests finish.
    pub async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        runtime::http::serve_until(self.server, shutdown).await?;
        tracing::info!("broker stopped");
        Ok(())
    }
}

/// Long-lived clients of every transport, as the settings describe them (none
/// connects yet: each connects on first use and reconnects by itself).
pub fn clients(settings: &Settings) -> anyhow::Result<Clients> {
    let timeout = Duration::from_millis(settings.dispatch_timeout_ms);
    let idle = settings.limits.client_idle();
    let urls = |logger: &str, authentication: &str, mail: &str| PerWorker {
        logger: logger.to_owned(),
        authentication: authentication.to_owned(),
        mail: mail.to_owned(),
    };
    let http = urls(&settings.logger_url, &settings.auth_url, &settings.mail_url);
    let rpc = urls(
        &settings.logger_rpc_addr,
        &settings.auth_rpc_addr,
        &settings.mail_rpc_addr,
    );
    let grpc = urls(
        &settings.logger_grpc_url,
        &settings.auth_grpc_url,
        &settings.mail_grpc_url,
    );
    Ok(Clients {
        http: HttpClient::new(http, idle, timeout).context("cannot build the HTTP client")?,
        rpc: RpcClient::new(&rpc, idle),
        grpc: GrpcClient::new(&grpc, idle, timeout).context("invalid gRPC URL")?,
        amqp: AmqpClient::new(
            settings.amqp.clone().resolve_url_file()?.amqp_url,
            settings.amqp.names(),
            "broker",
            settings.amqp_channels,
            timeout,
        ),
        nats: NatsClient::new(settings.nats.clone(), "broker", timeout),
        breakers: Arc::new(Breakers::new(
            settings.breaker_threshold,
            Duration::from_millis(settings.breaker_cool_down_ms),
        )),
        timeout,
    })
}
