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

use crate::{Settings, events::Store, jetstream::JetStream, rabbitmq::Consumer};

/// The listener, bound and ready to consume.
pub struct Application {
    consumer: Arc<Consumer>,
    jetstream: JetStream,
    store: Arc<Store>,
    connected: Connected,
    health_server: Server,
    http_port: u16,
}

/// Whether each bus's consumer consumes (what `/health` reports).
#[derive(Clone, Default)]
struct Connected {
    rabbitmq: Arc<AtomicBool>,
    nats: Arc<AtomicBool>,
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

    /// Builds the logger's client and binds the health endpoint. RabbitMQ and
    /// NATS are not contacted yet: [`Application::run_until_stopped`] waits for
    /// them with backoff.
    async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        settings.amqp = settings.amqp.resolve_url_file()?;
        let timeout = Duration::from_millis(settings.call_timeout_ms);
        let urls = PerWorker {
            logger: settings.logger_url.clone(),
            ..PerWorker::default()
        };
        let http = HttpClient::new(urls, settings.limits.client_idle(), timeout)
            .context("cannot build the HTTP client")?;
        let store = Arc::new(Store {
            logger: http,
            timeout,
            max_failed_attempts: settings.max_failed_attempts,
        });
        let connected = Connected::default();

        let health_state = web::Data::new(connected.clone());
        let edge = runtime::limits::Edge::new(&settings.limits);
        let (health_server, http_port) =
            runtime::http::bind_server(&settings.http_addr, 1, &edge, move |cfg| {
                cfg.app_data(health_state.clone())
                    .route("/ping", web::get().to(runtime::http::ping))
                    .route("/health", web::get().to(health));
            })?;

        let jetstream = JetStream {
            nats: settings.nats.clone(),
            durable: settings.nats_durable.clone(),
            max_ack_pending: settings.prefetch,
        };
        let consumer = Arc::new(Consumer {
            store: Arc::clone(&store),
            names: settings.amqp.names(),
            settings,
            connected: Arc::clone(&connected.rabbitmq),
        });
        Ok(Self {
            consumer,
            jetstream,
            store,
            connected,
            health_server,
            http_port,
        })
    }

    fn ports(&self) -> u16 {
        self.http_port
    }

    /// Consumes both buses until `shutdown` is cancelled; in-flight events
    /// finish (or are handed back) before it returns.
    async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let health = runtime::http::serve_until(self.health_server, shutdown.clone());
        let nats = self.connected.nats;
        let jetstream = self.jetstream.run(self.store, nats, shutdown.clone());
        let ((), (), health) = tokio::join!(self.consumer.run(shutdown.clone()), jetstream, health);
        tracing::info!("listener stopped");
        health.context("health server failed")
    }
}

/// `GET /health`: 200 while it consumes both buses, 503 naming the one it
/// cannot reach otherwise.
async fn health(connected: web::Data<Connected>) -> HttpResponse {
    let down = match (
        connected.rabbitmq.load(Ordering::Relaxed),
        connected.nats.load(Ordering::Relaxed),
    ) {
        (true, true) => return HttpResponse::Ok().json(JsonResponse::<()>::ok("consuming")),
        (false, true) => "RabbitMQ is unreachable",
        (true, false) => "NATS is unreachable",
        (false, false) => "RabbitMQ and NATS are unreachable",
    };
    runtime::http::error_response(StatusCode::SERVICE_UNAVAILABLE, down)
}
