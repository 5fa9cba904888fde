//! The connection supervisor and the two message handlers.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use backon::BackoffBuilder;
use clients::{CallError, http::HttpWorkers};
use futures::StreamExt;
use lapin::{
    BasicProperties, Channel, Connection,
    message::Delivery,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions,
        BasicQosOptions, BasicRejectOptions,
    },
    types::FieldTable,
};
use protocol::{
    LogPayload, WorkerError,
    amqp::{AmqpNames, AmqpReply, AmqpRequest},
};
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::Settings;

/// What the handlers share.
pub struct Consumer {
    /// Clients of the workers.
    pub workers: HttpWorkers,
    /// Exchange and queue names.
    pub names: AmqpNames,
    /// The listener's settings.
    pub settings: Settings,
    /// Whether a RabbitMQ session is up (reported by `/health`).
    pub connected: Arc<AtomicBool>,
}

impl Consumer {
    /// Connects, consumes, and reconnects with backoff whenever the connection is
    /// lost, until `shutdown` is cancelled. Returns once in-flight messages are done.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let url = self.settings.amqp.amqp_url.clone();
        let name = self.names.connection_name("listener");
        loop {
            let connecting = runtime::retry::until_ok("rabbitmq", &shutdown, || {
                runtime::amqp::connect(&url, &name)
            });
            let Some(connection) = connecting.await else {
                return;
            };
            match self.clone().session(&connection, &shutdown).await {
                Ok(()) => {
                    let _ = connection.close(200, "shutting down".into()).await;
                    return;
                }
                Err(error) => {
                    self.connected.store(false, Ordering::Relaxed);
                    tracing::warn!(%error, "RabbitMQ session ended; reconnecting");
                    let _ = connection.close(200, "reconnecting".into()).await;
                }
            }
        }
    }

    /// One connection's life: declare, consume both queues, hand each message to a
    /// task. `Ok` on shutdown (after in-flight messages finished), `Err` when the
    /// connection or a consumer failed.
    async fn session(
        self: Arc<Self>,
        connection: &Connection,
        shutdown: &CancellationToken,
    ) -> lapin::Result<()> {
        let events_channel = connection.create_channel().await?;
        events_channel
            .basic_qos(self.settings.prefetch, BasicQosOptions::default())
            .await?;
        runtime::amqp::declare_event_topology(&events_channel, &self.names).await?;
        let requests_channel = connection.create_channel().await?;
        requests_channel
            .basic_qos(self.settings.prefetch, BasicQosOptions::default())
            .await?;
        runtime::amqp::declare_request_queue(&requests_channel, &self.names).await?;

        let mut events = events_channel
            .basic_consume(
                self.names.logs_queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        let mut requests = requests_channel
            .basic_consume(
                self.names.request_queue.as_str().into(),
                "".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await?;
        self.connected.store(true, Ordering::Relaxed);
        tracing::info!(events = %self.names.logs_queue, requests = %self.names.request_queue, "consuming");

        let in_flight = TaskTracker::new();
        let outcome = loop {
            tokio::select! {
                () = shutdown.cancelled() => break Ok(()),
                delivery = events.next() => match delivery {
                    Some(Ok(delivery)) => {
                        in_flight.spawn(self.clone().handle_event(delivery, shutdown.clone()));
                    }
                    Some(Err(error)) => break Err(error),
                    None => break Err(consumer_ended()),
                },
                delivery = requests.next() => match delivery {
                    Some(Ok(delivery)) => {
                        in_flight.spawn(self.clone().handle_request(delivery, requests_channel.clone()));
                    }
                    Some(Err(error)) => break Err(error),
                    None => break Err(consumer_ended()),
                },
            }
        };
        in_flight.close();
        in_flight.wait().await;
        outcome
    }

    /// Stores one event through the logger, then acks it. Transient failures are
    /// retried with backoff while the message is held; poison is dead-lettered.
    async fn handle_event(self: Arc<Self>, delivery: Delivery, shutdown: CancellationToken) {
        let entry = match serde_json::from_slice::<LogPayload>(&delivery.data) {
            Ok(entry) => match entry.validate() {
                Ok(()) => entry,
                Err(reason) => return dead_letter(&delivery, &reason).await,
            },
            Err(e) => return dead_letter(&delivery, &format!("not a log entry: {e}")).await,
        };
        let mut backoff = runtime::retry::backoff().build();
        let mut failures = 0;
        loop {
            match self.workers.log(&entry).await {
                Ok(_) => {
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
                    tracing::warn!(%error, "logger unavailable; holding the event and retrying");
                }
                Err(error) => {
                    failures += 1;
                    tracing::warn!(%error, failures, "storing an event failed");
                    if failures >= self.settings.max_failed_attempts {
                        return dead_letter(&delivery, &error.to_string()).await;
                    }
                }
            }
            let wait = backoff.next().unwrap_or(Duration::from_secs(5));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = shutdown.cancelled() => {
                    // Give it back: another listener (or this one, restarted) stores it.
                    let requeue = BasicNackOptions { requeue: true, ..BasicNackOptions::default() };
                    if let Err(error) = delivery.nack(requeue).await {
                        tracing::warn!(%error, "nack on shutdown failed; RabbitMQ will redeliver");
                    }
                    return;
                }
            }
        }
    }

    /// Carries one request/reply call to its worker and publishes the answer.
    async fn handle_request(self: Arc<Self>, delivery: Delivery, channel: Channel) {
        let workers = &self.workers;
        let body = match serde_json::from_slice::<AmqpRequest>(&delivery.data) {
            Ok(AmqpRequest::Auth { auth }) => encode(match auth.validate() {
                Ok(_) => workers.authenticate(&auth).await.map_err(WorkerError::from),
                Err(reason) => Err(WorkerError::Invalid(reason)),
            }),
            Ok(AmqpRequest::Log { log }) => encode(match log.validate() {
                Ok(()) => workers.log(&log).await.map_err(WorkerError::from),
                Err(reason) => Err(WorkerError::Invalid(reason)),
            }),
            Ok(AmqpRequest::Mail { mail }) => encode(match mail.validate() {
                Ok(()) => workers.send_mail(&mail).await.map_err(WorkerError::from),
                Err(reason) => Err(WorkerError::Invalid(reason)),
            }),
            // The AMQP round trip itself: the listener is this transport's worker.
            Ok(AmqpRequest::Ping) => encode(AmqpReply::Ok(protocol::PONG)),
            Err(e) => encode(AmqpReply::<()>::Err(WorkerError::Invalid(format!(
                "invalid request: {e}"
            )))),
        };
        let reply_to = delivery.properties.reply_to().clone();
        match (body, reply_to) {
            (Ok(body), Some(reply_to)) => {
                let mut properties =
                    BasicProperties::default().with_content_type("application/json".into());
                if let Some(id) = delivery.properties.correlation_id() {
                    properties = properties.with_correlation_id(id.clone());
                }
                let published = channel
                    .basic_publish(
                        "".into(),
                        reply_to,
                        BasicPublishOptions::default(),
                        &body,
                        properties,
                    )
                    .await;
                if let Err(error) = published {
                    tracing::warn!(%error, "could not publish a reply");
                }
            }
            (Ok(_), None) => tracing::warn!("request without reply_to; dropping its answer"),
            (Err(error), _) => tracing::error!(%error, "could not serialize a reply"),
        }
        // The caller has its answer (or has timed out): a request is never redelivered.
        if let Err(error) = delivery.ack(BasicAckOptions::default()).await {
            tracing::warn!(%error, "ack of a request failed");
        }
    }
}

/// A consumer stream that ended: RabbitMQ cancelled it or the connection closed.
fn consumer_ended() -> lapin::Error {
    lapin::ErrorKind::InvalidConnectionState(lapin::ConnectionState::Closed).into()
}

async fn dead_letter(delivery: &Delivery, reason: &str) {
    tracing::warn!(reason, "dead-lettering an event that cannot be stored");
    let options = BasicRejectOptions { requeue: false };
    if let Err(error) = delivery.reject(options).await {
        tracing::warn!(%error, "reject failed; RabbitMQ will redeliver the event");
    }
}

fn encode<T: serde::Serialize>(reply: AmqpReply<T>) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(&reply)
}
