//! Workers over RabbitMQ: request/reply to each worker's own queue
//! ([`AmqpClient`]), and the Go original's fire-and-forget log event
//! ([`AmqpClient::events`]).
//!
//! One connection per client, opened on first use and rebuilt on the next call
//! after it was lost. It holds a small pool of channels with publisher confirms
//! (publishes are spread over them) and one exclusive reply queue whose consumer
//! routes each reply to the waiting call by `correlation_id` ([`session`]). When
//! that consumer ends (the connection was lost), every call still waiting on it
//! fails at once with 503 instead of waiting for its deadline. A publish that
//! fails before RabbitMQ had it (the channel was closed) was not sent
//! ([`CallError::NotSent`]); one whose confirm never came may have been.

mod session;

use std::{sync::Arc, time::Duration};

use lapin::{
    BasicProperties, Confirmation,
    options::BasicPublishOptions,
    types::{AMQPValue, FieldTable},
};
use protocol::{
    Answer, Call, Data, Reply, WorkerError,
    amqp::{AmqpNames, DEFAULT_ROUTING_KEY},
    timing::SENT_AT_HEADER,
};
use tokio::sync::{RwLock, oneshot};
use tracing::Instrument;

use self::session::{PendingGuard, Session};
use crate::{CallError, Request, Sender};

/// Publishes by `outcome`: `ack` (confirmed), `returned` (confirmed but
/// unroutable), `nack`, `failed` (the channel broke).
pub const PUBLISHES: &str = "flexi_amqp_publishes_total";

/// The handles of [`PUBLISHES`] (registered once: every publish counts).
static PUBLISH_SERIES: runtime::metrics::Handles<metrics::Counter, 1> =
    runtime::metrics::Handles::new(|[outcome]| metrics::counter!(PUBLISHES, "outcome" => outcome));

/// Name used in errors for RabbitMQ itself.
const RABBITMQ: &str = "RabbitMQ";

/// The broker's message for a log event accepted by RabbitMQ (the original's).
pub const LOGGED_VIA_RABBITMQ: &str = "logged via RabbitMQ";

/// A shared, self-healing RabbitMQ client: request/reply as a service.
#[derive(Clone)]
pub struct AmqpClient(Arc<Inner>);

struct Inner {
    url: String,
    names: AmqpNames,
    connection_name: String,
    channel_count: usize,
    connect: Duration,
    session: RwLock<Option<Arc<Session>>>,
}

impl AmqpClient {
    /// A client that connects on first use, showing itself in RabbitMQ as
    /// `service`; connecting takes at most `connect`.
    pub fn new(
        url: String,
        names: AmqpNames,
        service: &str,
        channel_count: usize,
        connect: Duration,
    ) -> Self {
        Self(Arc::new(Inner {
            url,
            connection_name: names.connection_name(service),
            names,
            channel_count: channel_count.max(1),
            connect,
            session: RwLock::new(None),
        }))
    }

    /// The Go original's log event as a service: a `log` call's entry
    /// published to `logs_topic` with routing key `log.INFO`, answered once
    /// RabbitMQ confirmed it (it is then in the listener's durable queue). In
    /// a producer span of the caller's trace, whose context the message
    /// carries to the listener.
    pub fn events(&self) -> AmqpEvents {
        AmqpEvents(self.clone())
    }
}

impl Sender for AmqpClient {
    /// Publishes the call (its `/handle` JSON) to its worker's request queue and
    /// waits for the worker's reply, in a client span of the caller's trace,
    /// whose context the request carries.
    async fn send(self, request: Request) -> Result<Answer, CallError> {
        let span = tracing::info_span!(
            "AMQP request",
            otel.kind = "client",
            messaging.system = "rabbitmq",
            messaging.destination.name = %self.0.names.request_queues.get(request.call.worker()),
        );
        self.0.request(request).instrument(span).await
    }
}

/// The log event's service ([`AmqpClient::events`]).
#[derive(Clone)]
pub struct AmqpEvents(AmqpClient);

impl Sender for AmqpEvents {
    async fn send(self, request: Request) -> Result<Answer, CallError> {
        let inner = self.0.0;
        let span = tracing::info_span!(
            "AMQP publish",
            otel.kind = "producer",
            messaging.system = "rabbitmq",
            messaging.destination.name = %inner.names.logs_exchange,
        );
        inner.publish_event(&request.call).instrument(span).await
    }
}

impl Inner {
    async fn publish_event(&self, call: &Call) -> Result<Answer, CallError> {
        let Call::Log { log } = call else {
            let only = format!("only a log is an event, not {}", call.action());
            return Err(CallError::Worker(WorkerError::Invalid(only)));
        };
        let session = self.session().await?;
        let body = serde_json::to_vec(log).map_err(|_| CallError::Protocol(RABBITMQ.into()))?;
        let mut headers = FieldTable::default();
        runtime::trace::inject(&mut runtime::amqp::HeaderWriter(&mut headers));
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2)
            .with_headers(headers);
        let exchange = &self.names.logs_exchange;
        let confirmation = self
            .publish(&session, exchange, DEFAULT_ROUTING_KEY, &body, properties)
            .await?;
        match confirmation {
            Confirmation::Ack(None) | Confirmation::NotRequested => {
                Ok(Answer::new(LOGGED_VIA_RABBITMQ, Data::Log))
            }
            Confirmation::Ack(Some(_)) => {
                tracing::error!(%exchange, "event unroutable: no queue bound");
                let unbound = "no queue is bound to the log exchange".into();
                Err(CallError::Worker(WorkerError::Unavailable(unbound)))
            }
            Confirmation::Nack(_) => Err(CallError::Worker(WorkerError::Unavailable(
                "RabbitMQ did not accept the event".into(),
            ))),
        }
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
        let channel = session.channel();
        let sent = channel
            .basic_publish(
                exchange.into(),
                routing_key.into(),
                options,
                body,
                properties,
            )
            .await;
        let result = match sent {
            // RabbitMQ did not get it: the channel or connection was closed.
            Err(error) => {
                tracing::warn!(%error, "publish failed; the connection will be rebuilt");
                self.forget(session).await;
                Err(CallError::NotSent(RABBITMQ.into()))
            }
            Ok(confirm) => confirm.await.map_err(|error| {
                tracing::warn!(%error, "no confirm; the connection will be rebuilt");
                CallError::Unreachable(RABBITMQ.into())
            }),
        };
        if matches!(result, Err(CallError::Unreachable(_))) {
            self.forget(session).await;
        }
        let outcome = match &result {
            Ok(Confirmation::Ack(None) | Confirmation::NotRequested) => "ack",
            Ok(Confirmation::Ack(Some(_))) => "returned",
            Ok(Confirmation::Nack(_)) => "nack",
            Err(_) => "failed",
        };
        PUBLISH_SERIES.with([outcome], |published| published.increment(1));
        result
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
        let connecting = Session::open(
            &self.url,
            &self.names,
            &self.connection_name,
            self.channel_count,
        );
        let session = match tokio::time::timeout(self.connect, connecting).await {
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

    async fn request(self: Arc<Self>, request: Request) -> Result<Answer, CallError> {
        let worker = request.call.worker();
        let session = self.session().await?;
        let body =
            serde_json::to_vec(&*request.call).map_err(|_| CallError::Protocol(RABBITMQ.into()))?;
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        let _waiting = PendingGuard::insert(&session.pending, id.clone(), tx);
        if !session.replies_alive() {
            // The reply consumer ended before this call registered: no answer
            // can come, and nothing was published.
            return Err(CallError::NotSent(RABBITMQ.into()));
        }
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_correlation_id(id.as_str().into())
            .with_reply_to(session.reply_queue.as_str().into())
            // A request nobody took by its deadline is dropped by RabbitMQ, not served late.
            .with_expiration(request.remaining().as_millis().max(1).to_string().into())
            .with_headers(sent_now());
        let queue = self.names.request_queues.get(worker);
        let confirmation = self.publish(&session, "", queue, &body, properties).await?;
        if let Confirmation::Ack(Some(_)) = confirmation {
            // Unroutable: the request queue does not exist, so no worker consumes it.
            return Err(CallError::Unreachable(worker.name().into()));
        }
        let reply = rx
            .await
            .map_err(|_| CallError::Unreachable(RABBITMQ.into()))?;
        let reply: Reply = serde_json::from_slice(&reply.data).map_err(|e| {
            tracing::warn!(%worker, error = %e, "invalid reply");
            CallError::Protocol(worker.name().into())
        })?;
        reply.map_err(CallError::Worker)
    }
}

/// Headers that say when a request left (see [`protocol::timing::SENT_AT_HEADER`])
/// and carry the current trace.
fn sent_now() -> FieldTable {
    let mut headers = FieldTable::default();
    runtime::trace::inject(&mut runtime::amqp::HeaderWriter(&mut headers));
    let now = i64::try_from(runtime::timing::unix_micros()).unwrap_or(i64::MAX);
    headers.insert(SENT_AT_HEADER.into(), AMQPValue::LongLongInt(now));
    headers
}
