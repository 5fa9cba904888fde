//! The RabbitMQ consumer of the original's `logs_topic` events: one session at
//! a time (see [`runtime::amqp::supervise`]), each event stored through the
//! logger ([`crate::events`]), acked once stored.

use std::sync::{Arc, atomic::AtomicBool};

use lapin::{
    Connection,
    message::Delivery,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, BasicRejectOptions,
    },
    types::FieldTable,
};
use protocol::{Bus, amqp::AmqpNames};
use tokio_util::sync::CancellationToken;

use crate::{
    Settings,
    events::{Store, Stored},
};

/// What the event handlers share.
pub struct Consumer {
    /// Stores the events' entries through the logger.
    pub store: Arc<Store>,
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

    /// Stores one event through the logger, then acks it; poison is
    /// rejected to the dead-letter queue; on shutdown it is given back.
    async fn handle_event(self: Arc<Self>, delivery: Delivery, shutdown: CancellationToken) {
        match self
            .store
            .store(Bus::Rabbitmq, &delivery.data, &shutdown)
            .await
        {
            Stored::Yes => {
                if let Err(error) = delivery.ack(BasicAckOptions::default()).await {
                    // The entry is stored; RabbitMQ will redeliver it (at-least-once).
                    tracing::warn!(%error, "ack failed after storing an event");
                }
            }
            Stored::Poison(_) => dead_letter(&delivery).await,
            Stored::Stopped => {
                // Give it back: another listener (or this one, restarted) stores it.
                let requeue = BasicNackOptions {
                    requeue: true,
                    ..BasicNackOptions::default()
                };
                if let Err(error) = delivery.nack(requeue).await {
                    tracing::warn!(%error, "nack on shutdown failed; RabbitMQ will redeliver");
                }
            }
        }
    }
}

async fn dead_letter(delivery: &Delivery) {
    let options = BasicRejectOptions { requeue: false };
    if let Err(error) = delivery.reject(options).await {
        tracing::warn!(%error, "reject failed; RabbitMQ will redeliver the event");
    }
}
