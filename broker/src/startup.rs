//! [`Application`]: builds the transport clients, binds in `build` (tests bind
//! port 0 and read it back), serves until the shutdown token is cancelled.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_cors::Cors;
use actix_web::{App, HttpServer, dev::Server, http::header, web};
use anyhow::Context;
use clients::{
    grpc::{GrpcEndpoints, GrpcWorkers},
    http::{HttpEndpoints, HttpWorkers},
    rpc::{RpcEndpoints, RpcWorkers},
};
use tokio_util::sync::CancellationToken;

use crate::{
    Settings,
    amqp::AmqpClient,
    dispatch::{Breakers, Dispatcher},
    routes::{self, BrokerState},
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
        let dispatcher = dispatcher(&settings)?;
        let max_body_bytes = settings.max_body_bytes;
        let compare_max_duration = Duration::from_secs(settings.compare_max_seconds);

        let listener = TcpListener::bind(&settings.http_addr)
            .with_context(|| format!("cannot bind HTTP on {}", settings.http_addr))?;
        let port = listener.local_addr()?.port();
        let mut server = HttpServer::new(move || {
            // Runs once per actix-web worker, on its thread: each worker gets
            // tarpc and gRPC connections of its own (RabbitMQ, HTTP and the
            // circuit breakers stay shared).
            let state = web::Data::new(BrokerState {
                dispatcher: dispatcher.for_this_runtime(),
                max_body_bytes,
                compare_max_duration,
            });
            App::new()
                .wrap(cors())
                .app_data(state.clone())
                .configure(routes::routes)
                .default_service(web::to(runtime::http::not_found))
        })
        .disable_signals()
        .shutdown_timeout(10)
        .listen(listener)?;
        if settings.http_workers > 0 {
            server = server.workers(settings.http_workers);
        }
        tracing::info!(port, "broker bound");
        Ok(Self {
            server: server.run(),
            port,
        })
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

/// The original's CORS policy: any origin, the usual methods and headers.
fn cors() -> Cors {
    Cors::default()
        .allow_any_origin()
        .allowed_methods(["GET", "POST", "PUT", "DELETE", "OPTIONS"])
        .allowed_headers([
            header::ACCEPT,
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("x-csrf-token"),
        ])
        .expose_headers([header::LINK])
        .max_age(300)
}

/// Long-lived clients of every transport, as the settings describe them (none
/// connects yet: each connects on first use and reconnects by itself).
pub fn dispatcher(settings: &Settings) -> anyhow::Result<Dispatcher> {
    let timeout = Duration::from_millis(settings.dispatch_timeout_ms);
    Ok(Dispatcher {
        http: HttpWorkers::new(
            HttpEndpoints {
                logger: settings.logger_url.trim_end_matches('/').to_owned(),
                authentication: settings.auth_url.trim_end_matches('/').to_owned(),
                mail: settings.mail_url.trim_end_matches('/').to_owned(),
            },
            timeout,
        )
        .context("cannot build the HTTP client")?,
        rpc: RpcWorkers::new(
            &RpcEndpoints {
                logger: settings.logger_rpc_addr.clone(),
                authentication: settings.auth_rpc_addr.clone(),
                mail: settings.mail_rpc_addr.clone(),
            },
            timeout,
        ),
        grpc: GrpcWorkers::new(
            &GrpcEndpoints {
                logger: settings.logger_grpc_url.clone(),
                authentication: settings.auth_grpc_url.clone(),
                mail: settings.mail_grpc_url.clone(),
            },
            timeout,
        )
        .context("invalid gRPC URL")?,
        amqp: Arc::new(AmqpClient::new(
            settings.amqp.amqp_url.clone(),
            settings.amqp.names(),
            settings.amqp_channels,
            timeout,
        )),
        timeout,
        breakers: Arc::new(Breakers::new(
            settings.breaker_threshold,
            Duration::from_millis(settings.breaker_cool_down_ms),
        )),
    })
}
