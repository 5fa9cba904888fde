//! The event consumer: one RabbitMQ session at a time (see
//! [`runtime::amqp::supervise`]), each event stored through the logger.

use std::{
    sync::{Arc, atomic::AtomicBool},
    time::Duration,
};

use backon::BackoffBuilder;
use clients::{CallError, CallService, Request};
use lapin::{
    Connection,
    message::Delivery,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, BasicRejectOptions,
    },
    types::FieldTable,
};
use protocol::{Call, LogPayload, WorkerError, amqp::AmqpNames};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::Settings;

/// Events by `outcome`: `delivered` (taken from the queue), `acked` (stored),
/// `retried` (a failed attempt that will be tried again), `dead_lettered`,
/// `requeued` (given back on shutdown).
pub const EVENTS: &str = "flexi_listener_events_total";

/// The handles of [`EVENTS`] (registered once: every event counts twice or more).
static EVENT_SERIES: runtime::metrics::Handles<metrics::Counter, 1> =
    runtime::metrics::Handles::new(|[outcome]| metrics::counter!(EVENTS, "outcome" => outcome));

fn count(outcome: &'static str) {
    EVENT_SERIES.with([outcome], |events| events.increment(1));
}

/// What the event handlers share.
pub struct Consumer {
    /// The logger, over HTTP.
    pub logger: CallService,
    /// Exchange and queue names.
    pub names: AmqpNames,
    /// The listener's settings.
    pub settings: Settings,
    /// Whether a RabbitMQ session is up (reported by `/health`).
    pub connected: Arc<AtomicBool>,
}

impl Consumer {
    /// Consumes, reconnecting with backoff whenever the connection is lost, until
    /// `shutdown` is cancelled. Returns once in-flight events are done.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let name = self.names.connection_name("listener");
        let (consumer, stop) = (&self, &shutdown);
        runtime::amqp::supervise(
            &self.settings.amqp.amqp_url,
            &name,
            stop,
            &self.connected,
            |connection| consumer.clone().session(connection, stop),
        )
        .await;
    }

    /// One connection's life: declare, consume the event queue, hand each event
    /// to a task. `Ok` on shutdown (after in-flight events finished), `Err` when
    /// the connection or the consumer failed.
    async fn session(
        self: Arc<Self>,
        connection: Arc<Connection>,
        shutdown: &CancellationToken,
    ) -> lapin::Result<()> {
        let channel = connection.create_channel().await?;
        channel
            .basic_qos(self.settings.prefetch, BasicQosOptions::default())
            .await?;
        runtime::amqp::declare_event_topology(&channel, &self.names).await?;
        let events = channel
            .basic_consume(
                self.names.logs_queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        self.connected
            .store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(events = %self.names.logs_queue, "consuming");
        runtime::amqp::consume(events, shutdown, |delivery| {
            self.clone().handle_event(delivery, shutdown.clone())
        })
        .await
    }

    /// Stores one event through the logger, then acks it. Transient failures are
    /// retried with backoff while the message is held; poison is dead-lettered.
    async fn handle_event(self: Arc<Self>, delivery: Delivery, shutdown: CancellationToken) {
        count("delivered");
        let call = match serde_json::from_slice::<LogPayload>(&delivery.data) {
            Ok(log) => std::sync::Arc::new(Call::Log { log }),
            Err(e) => return dead_letter(&delivery, &format!("not a log entry: {e}")).await,
        };
        let timeout = Duration::from_millis(self.settings.call_timeout_ms);
        let mut backoff = runtime::retry::backoff().build();
        let mut failures = 0;
        loop {
            let request = Request {
                call: Arc::clone(&call),
                deadline: tokio::time::Instant::now() + timeout,
            };
            match self.logger.clone().oneshot(request).await {
                Ok(_) => {
                    count("acked");
                    if let Err(error) = delivery.ack(BasicAckOptions::default()).await {
                        // The entry is stored; RabbitMQ will redeliver it (at-least-once).
                        tracing::warn!(%error, "ack failed after storing an event");
                    }
                    return;
                }
                Err(CallError::Worker(WorkerError::Invalid(reason))) => {
                    return dead_letter(&delivery, &reason).await;
                }
                Err(error) if error.is_transient() => {
                    runtime::throttled!(warn, "logger unavailable; holding the event and retrying", %error);
                }
                Err(error) => {
                    failures += 1;
                    runtime::throttled!(warn, "storing an event failed", %error, failures);
                    if failures >= self.settings.max_failed_attempts {
                        return dead_letter(&delivery, &error.to_string()).await;
                    }
                }
            }
            count("retried");
            let wait = backoff.next().unwrap_or(Duration::from_secs(5));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = shutdown.cancelled() => {
                    // Give it back: another listener (or this one, restarted) stores it.
                    count("requeued");
                    let requeue = BasicNackOptions { requeue: true, ..BasicNackOptions::default() };
                    if let Err(error) = delivery.nack(requeue).await {
                        tracing::warn!(%error, "nack on shutdown failed; RabbitMQ will redeliver");
                    }
                    return;
                }
            }
        }
    }
}

async fn dead_letter(delivery: &Delivery, reason: &str) {
    count("dead_lettered");
    tracing::warn!(reason, "dead-lettering an event that cannot be stored");
    let options = BasicRejectOptions { requeue: false };
    if let Err(error) = delivery.reject(options).await {
        tracing::warn!(%error, "reject failed; RabbitMQ will redeliver the event");
    }
}
