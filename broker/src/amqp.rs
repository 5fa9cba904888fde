//! The broker's RabbitMQ client.
//!
//! One connection per broker, opened on first use and rebuilt on the next call
//! after it was lost. It holds a small pool of channels with publisher confirms
//! (publishes are spread over them) and one exclusive reply queue whose consumer
//! routes each reply to the waiting call by `correlation_id`. When that consumer
//! ends (the connection was lost), every call still waiting on it fails at once
//! with 503 instead of waiting for its timeout.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use clients::CallError;
use futures::StreamExt;
use lapin::{
    BasicProperties, Channel, Confirmation, Connection, Consumer,
    options::{
        BasicConsumeOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions,
    },
    types::FieldTable,
};
use protocol::{
    LogPayload, WorkerError,
    amqp::{AmqpNames, AmqpReply, AmqpRequest, DEFAULT_ROUTING_KEY},
};
use serde::de::DeserializeOwned;
use tokio::sync::{RwLock, oneshot};

/// Calls waiting for a reply, by correlation id.
type Waiting = HashMap<String, oneshot::Sender<Vec<u8>>>;
type Pending = Arc<Mutex<Waiting>>;

/// Name used in errors for RabbitMQ itself.
const RABBITMQ: &str = "RabbitMQ";
/// Name used in errors for the listener (the consumer of requests).
const LISTENER: &str = "the listener";

/// A shared, self-healing RabbitMQ client.
pub struct AmqpClient {
    url: String,
    names: AmqpNames,
    channel_count: usize,
    timeout: Duration,
    session: RwLock<Option<Arc<Session>>>,
}

struct Session {
    connection: Connection,
    channels: Vec<Channel>,
    next: AtomicUsize,
    reply_queue: String,
    replies_alive: Arc<AtomicBool>,
    /// Calls waiting for a reply on this session's reply queue.
    pending: Pending,
}

impl Session {
    fn healthy(&self) -> bool {
        self.connection.status().connected()
            && self.replies_alive.load(Ordering::Relaxed)
            && self.channels.iter().all(|c| c.status().connected())
    }

    fn channel(&self) -> &Channel {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.channels.len();
        &self.channels[i]
    }
}

impl AmqpClient {
    /// A client that connects on first use; `timeout` bounds connecting and each call.
    pub fn new(url: String, names: AmqpNames, channel_count: usize, timeout: Duration) -> Self {
        Self {
            url,
            names,
            channel_count: channel_count.max(1),
            timeout,
            session: RwLock::new(None),
        }
    }

    /// Publishes a log event to `logs_topic` with routing key `log.INFO` (the Go
    /// original's path) and waits for RabbitMQ's confirm: once this returns `Ok`,
    /// the event is in the listener's durable queue.
    pub async fn publish_event(&self, entry: &LogPayload) -> Result<(), CallError> {
        let session = self.session().await?;
        let body = serde_json::to_vec(entry).map_err(|_| CallError::Protocol(RABBITMQ.into()))?;
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2);
        let confirmation = self
            .publish(
                &session,
                &self.names.logs_exchange,
                DEFAULT_ROUTING_KEY,
                &body,
                properties,
            )
            .await?;
        match confirmation {
            Confirmation::Ack(None) | Confirmation::NotRequested => Ok(()),
            Confirmation::Ack(Some(_)) => {
                tracing::error!(exchange = %self.names.logs_exchange, "event unroutable: no queue bound");
                Err(CallError::Worker(WorkerError::Unavailable(
                    "no queue is bound to the log exchange".into(),
                )))
            }
            Confirmation::Nack(_) => Err(CallError::Worker(WorkerError::Unavailable(
                "RabbitMQ did not accept the event".into(),
            ))),
        }
    }

    /// Sends a request to the listener and waits for the worker's answer.
    pub async fn call<T: DeserializeOwned>(&self, request: &AmqpRequest) -> Result<T, CallError> {
        let session = self.session().await?;
        let body = serde_json::to_vec(request).map_err(|_| CallError::Protocol(RABBITMQ.into()))?;
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        let _waiting = PendingGuard::insert(&session.pending, id.clone(), tx);
        if !session.replies_alive.load(Ordering::Relaxed) {
            // The reply consumer ended before this call registered: no answer can come.
            return Err(CallError::Unreachable(RABBITMQ.into()));
        }
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_correlation_id(id.as_str().into())
            .with_reply_to(session.reply_queue.as_str().into())
            // A request nobody took in time is dropped by RabbitMQ, not served late.
            .with_expiration(self.timeout.as_millis().to_string().into());
        let confirmation = self
            .publish(&session, "", &self.names.request_queue, &body, properties)
            .await?;
        if let Confirmation::Ack(Some(_)) = confirmation {
            // Unroutable: the request queue does not exist, so no listener is consuming.
            return Err(CallError::Unreachable(LISTENER.into()));
        }
        let reply = tokio::time::timeout(self.timeout, rx)
            .await
            .map_err(|_| CallError::Timeout(LISTENER.into()))?
            .map_err(|_| CallError::Unreachable(RABBITMQ.into()))?;
        let reply: AmqpReply<T> = serde_json::from_slice(&reply).map_err(|e| {
            tracing::warn!(error = %e, "invalid reply from the listener");
            CallError::Protocol(LISTENER.into())
        })?;
        reply.map_err(CallError::Worker)
    }

    async fn publish(
        &self,
        session: &Arc<Session>,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<Confirmation, CallError> {
        let options = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        let published = async {
            session
                .channel()
                .basic_publish(
                    exchange.into(),
                    routing_key.into(),
                    options,
                    body,
                    properties,
                )
                .await?
                .await
        };
        match tokio::time::timeout(self.timeout, published).await {
            Ok(Ok(confirmation)) => Ok(confirmation),
            Ok(Err(error)) => {
                tracing::warn!(%error, "publish failed; the connection will be rebuilt");
                self.forget(session).await;
                Err(CallError::Unreachable(RABBITMQ.into()))
            }
            Err(_) => Err(CallError::Timeout(RABBITMQ.into())),
        }
    }

    /// The current session, or a new one if there is none or it broke.
    async fn session(&self) -> Result<Arc<Session>, CallError> {
        if let Some(session) = self.session.read().await.as_ref()
            && session.healthy()
        {
            return Ok(session.clone());
        }
        let mut slot = self.session.write().await;
        if let Some(session) = slot.as_ref() {
            if session.healthy() {
                return Ok(session.clone());
            }
            let _ = session.connection.close(200, "reconnecting".into()).await;
        }
        *slot = None;
        let session = match tokio::time::timeout(self.timeout, self.connect()).await {
            Ok(Ok(session)) => Arc::new(session),
            Ok(Err(error)) => {
                tracing::warn!(%error, "cannot connect to RabbitMQ");
                return Err(CallError::Unreachable(RABBITMQ.into()));
            }
            Err(_) => return Err(CallError::Timeout(RABBITMQ.into())),
        };
        tracing::info!(channels = session.channels.len(), "connected to RabbitMQ");
        *slot = Some(session.clone());
        Ok(session)
    }

    async fn forget(&self, broken: &Arc<Session>) {
        let mut slot = self.session.write().await;
        if slot.as_ref().is_some_and(|s| Arc::ptr_eq(s, broken)) {
            *slot = None;
        }
    }

    async fn connect(&self) -> lapin::Result<Session> {
        let connection =
            runtime::amqp::connect(&self.url, &self.names.connection_name("broker")).await?;
        let setup = connection.create_channel().await?;
        runtime::amqp::declare_event_topology(&setup, &self.names).await?;

        let mut channels = Vec::with_capacity(self.channel_count);
        for _ in 0..self.channel_count {
            let channel = connection.create_channel().await?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            channels.push(channel);
        }

        let exclusive = QueueDeclareOptions {
            exclusive: true,
            auto_delete: true,
            ..QueueDeclareOptions::default()
        };
        let reply_queue = setup
            .queue_declare("".into(), exclusive, FieldTable::default())
            .await?
            .name()
            .to_string();
        let no_ack = BasicConsumeOptions {
            no_ack: true,
            ..BasicConsumeOptions::default()
        };
        let replies = setup
            .basic_consume(
                reply_queue.as_str().into(),
                "".into(),
                no_ack,
                FieldTable::default(),
            )
            .await?;
        let replies_alive = Arc::new(AtomicBool::new(true));
        let pending = Pending::default();
        tokio::spawn(route_replies(
            replies,
            pending.clone(),
            replies_alive.clone(),
        ));
        Ok(Session {
            connection,
            channels,
            next: AtomicUsize::new(0),
            reply_queue,
            replies_alive,
            pending,
        })
    }
}

/// Hands each reply to the call waiting for its correlation id. When the
/// consumer ends, the session is marked unhealthy and every waiting call is
/// released (its receiver sees the sender dropped: 503, not a timeout).
async fn route_replies(mut replies: Consumer, pending: Pending, alive: Arc<AtomicBool>) {
    while let Some(delivery) = replies.next().await {
        let delivery = match delivery {
            Ok(delivery) => delivery,
            Err(error) => {
                tracing::warn!(%error, "reply consumer failed");
                break;
            }
        };
        let Some(id) = delivery.properties.correlation_id() else {
            continue;
        };
        let waiter = lock(&pending).remove(id.as_str());
        match waiter {
            Some(waiter) => {
                let _ = waiter.send(delivery.data);
            }
            None => tracing::debug!(correlation_id = %id, "late reply for a call that timed out"),
        }
    }
    alive.store(false, Ordering::Relaxed);
    let abandoned = std::mem::take(&mut *lock(&pending));
    if !abandoned.is_empty() {
        tracing::warn!(
            calls = abandoned.len(),
            "reply queue lost; failing the calls that were waiting on it"
        );
    }
}

/// The table of waiting calls. A panic while it was held cannot leave it
/// half-changed (each use is one insert, remove or take), so a poisoned lock is
/// used as it is.
fn lock(pending: &Pending) -> MutexGuard<'_, Waiting> {
    pending
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes a waiting call from the table however the call ends (answer, timeout,
/// or the client going away).
struct PendingGuard<'a> {
    pending: &'a Pending,
    id: String,
}

impl<'a> PendingGuard<'a> {
    fn insert(pending: &'a Pending, id: String, tx: oneshot::Sender<Vec<u8>>) -> Self {
        lock(pending).insert(id.clone(), tx);
        Self { pending, id }
    }
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(self.pending).remove(&self.id);
    }
}
