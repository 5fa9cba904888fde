//! The RabbitMQ consumer of the original's `logs_topic` events: one session at
//! a time (see [`runtime::amqp::supervise`]), the events stored through the
//! logger in batches ([`crate::events`]), acked once stored.

use std::sync::{Arc, atomic::AtomicBool};

use futures::{FutureExt, StreamExt};
use lapin::{
    Connection,
    message::Delivery,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, BasicRejectOptions,
    },
    types::FieldTable,
};
use protocol::{Bus, amqp::AmqpNames};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::{
    Settings,
    events::{Event, Store, Stored},
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

    /// One connection's life: declare, consume the event queue, store the
    /// events in batches. `Ok` on shutdown (after the batches in flight were
    /// settled), `Err` when the connection or the consumer failed.
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
        self.consume(events, shutdown).await
    }

    /// Takes the deliveries in batches and stores each batch with one call
    /// to the logger, at most [`Settings::store_concurrency`] batches at once.
    /// A batch is what has arrived by the time a slot is free (up to
    /// [`Settings::batch_max`]): under no load one event at once, under load
    /// larger batches instead of more calls. Batches are settled in the
    /// order they were taken, so each can ack its stored events with one
    /// `basic.ack` (`multiple`). `Ok` on shutdown, once the batches in
    /// flight are settled.
    async fn consume(
        self: &Arc<Self>,
        mut events: lapin::Consumer,
        shutdown: &CancellationToken,
    ) -> lapin::Result<()> {
        let slots = Arc::new(Semaphore::new(self.settings.store_concurrency.max(1)));
        let in_flight = TaskTracker::new();
        let mut previous: Option<oneshot::Receiver<()>> = None;
        let outcome = loop {
            let slot = tokio::select! {
                () = shutdown.cancelled() => break Ok(()),
                slot = Arc::clone(&slots).acquire_owned() => slot,
            };
            let Ok(slot) = slot else { break Ok(()) };
            let first = tokio::select! {
                () = shutdown.cancelled() => break Ok(()),
                next = events.next() => next,
            };
            let mut batch = match first {
                Some(Ok(delivery)) => vec![delivery],
                Some(Err(error)) => break Err(error),
                None => break Err(consumer_ended()),
            };
            let mut ended = None;
            while batch.len() < self.settings.batch_max.max(1) {
                match events.next().now_or_never() {
                    Some(Some(Ok(delivery))) => batch.push(delivery),
                    Some(Some(Err(error))) => ended = Some(error),
                    Some(None) => ended = Some(consumer_ended()),
                    // Nothing more has arrived: the batch is what there is.
                    None => break,
                }
                if ended.is_some() {
                    break;
                }
            }
            let (settled, next) = oneshot::channel();
            let before = previous.replace(next);
            let batch = self
                .clone()
                .store_batch(batch, slot, before, settled, shutdown.clone());
            in_flight.spawn(batch);
            if let Some(error) = ended {
                break Err(error);
            }
        };
        in_flight.close();
        in_flight.wait().await;
        outcome
    }

    /// Stores one batch (each event in the trace its headers carry), then,
    /// once the batch before it is settled, acks what was stored, rejects
    /// poison to the dead-letter queue and, on shutdown, gives back the rest.
    async fn store_batch(
        self: Arc<Self>,
        batch: Vec<Delivery>,
        slot: OwnedSemaphorePermit,
        before: Option<oneshot::Receiver<()>>,
        settled: oneshot::Sender<()>,
        shutdown: CancellationToken,
    ) {
        let contexts: Vec<_> = batch.iter().map(runtime::amqp::delivery_context).collect();
        let events: Vec<_> = batch
            .iter()
            .zip(&contexts)
            .map(|(delivery, (_, current))| Event {
                payload: &delivery.data,
                traceparent: current.as_ref().map(|c| c.traceparent().as_str()),
            })
            .collect();
        let outcomes = self.store.store(Bus::Rabbitmq, &events, &shutdown).await;
        drop(slot);
        // Every earlier delivery must be settled before a `multiple` ack.
        let in_order = match before {
            Some(before) => before.await.is_ok(),
            None => true,
        };
        settle(&batch, outcomes, in_order).await;
        let _ = settled.send(());
    }
}

/// Settles a batch: poison rejected and the rest of the unstored given back
/// one by one, then the stored ones acked with one `multiple` ack of the
/// last (only `in_order`, when every earlier delivery is settled; else one
/// by one).
async fn settle(batch: &[Delivery], outcomes: Vec<Stored>, in_order: bool) {
    let mut last_stored = None;
    for (delivery, outcome) in batch.iter().zip(outcomes) {
        match outcome {
            Stored::Yes if in_order => last_stored = Some(delivery),
            Stored::Yes => ack(delivery, false).await,
            Stored::Poison(_) => dead_letter(delivery).await,
            Stored::Stopped => requeue(delivery).await,
        }
    }
    if let Some(last) = last_stored {
        ack(last, true).await;
    }
}

async fn ack(delivery: &Delivery, multiple: bool) {
    if let Err(error) = delivery.ack(BasicAckOptions { multiple }).await {
        // The entries are stored; RabbitMQ will redeliver them (at-least-once).
        tracing::warn!(%error, "ack failed after storing events");
    }
}

/// Gives an event back: another listener (or this one, restarted) stores it.
async fn requeue(delivery: &Delivery) {
    let requeue = BasicNackOptions {
        requeue: true,
        ..BasicNackOptions::default()
    };
    if let Err(error) = delivery.nack(requeue).await {
        tracing::warn!(%error, "nack on shutdown failed; RabbitMQ will redeliver");
    }
}

/// RabbitMQ cancelled the consumer or the connection closed.
fn consumer_ended() -> lapin::Error {
    lapin::ErrorKind::InvalidConnectionState(lapin::ConnectionState::Closed).into()
}

async fn dead_letter(delivery: &Delivery) {
    let options = BasicRejectOptions { requeue: false };
    if let Err(error) = delivery.reject(options).await {
        tracing::warn!(%error, "reject failed; RabbitMQ will redeliver the event");
    }
}
