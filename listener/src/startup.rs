//! [`Application`]: binds the health endpoint in `build`, then consumes until stopped.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use actix_web::{HttpResponse, dev::Server, http::StatusCode, web};
use anyhow::Context;
use clients::http::HttpClient;
use protocol::{JsonResponse, PerWorker};
use runtime::service::Service;
use tokio_util::sync::CancellationToken;

use crate::{Settings, consumer::Consumer};

/// The listener, bound and ready to consume.
pub struct Application {
    consumer: Arc<Consumer>,
    health_server: Server,
    http_port: u16,
}

impl Application {
    /// The bound port of the health endpoint.
    pub fn http_port(&self) -> u16 {
        self.http_port
    }
}

impl Service for Application {
    type Settings = Settings;
    type Ports = u16;
    const NAME: &'static str = "listener";

    /// Builds the logger's client and binds the health endpoint. RabbitMQ is not
    /// contacted yet: [`Application::run_until_stopped`] waits for it with backoff.
    async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        settings.amqp = settings.amqp.resolve_url_file()?;
        let timeout = Duration::from_millis(settings.call_timeout_ms);
        let urls = PerWorker {
            logger: settings.logger_url.clone(),
            ..PerWorker::default()
        };
        let http = HttpClient::new(urls, settings.limits.client_idle(), timeout)
            .context("cannot build the HTTP client")?;
        let logger = clients::stack(http, protocol::Transport::Http, None);
        let connected = Arc::new(AtomicBool::new(false));

        let health_state = web::Data::new(connected.clone());
        let edge = runtime::limits::Edge::new(&settings.limits);
        let (health_server, http_port) =
            runtime::http::bind_server(&settings.http_addr, 1, &edge, move |cfg| {
                cfg.app_data(health_state.clone())
                    .route("/ping", web::get().to(runtime::http::ping))
                    .route("/health", web::get().to(health));
            })?;

        let consumer = Arc::new(Consumer {
            logger,
            names: settings.amqp.names(),
            settings,
            connected,
        });
        Ok(Self {
            consumer,
            health_server,
            http_port,
        })
    }

    fn ports(&self) -> u16 {
        self.http_port
    }

    /// Consumes until `shutdown` is cancelled; in-flight messages finish (or are
    /// handed back to RabbitMQ) before it returns.
    async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let health = runtime::http::serve_until(self.health_server, shutdown.clone());
        let ((), health) = tokio::join!(self.consumer.run(shutdown.clone()), health);
        tracing::info!("listener stopped");
        health.context("health server failed")
    }
}

/// `GET /health`: 200 while a RabbitMQ session is up, 503 otherwise.
async fn health(connected: web::Data<Arc<AtomicBool>>) -> HttpResponse {
    if connected.load(Ordering::Relaxed) {
        HttpResponse::Ok().json(JsonResponse::<()>::ok("consuming"))
    } else {
        runtime::http::error_response(StatusCode::SERVICE_UNAVAILABLE, "RabbitMQ is unreachable")
    }
}
