//! Workers over RabbitMQ: request/reply to each worker's own queue, and the Go
//! original's fire-and-forget log event.
//!
//! One connection per client, opened on first use and rebuilt on the next call
//! after it was lost. It holds a small pool of channels with publisher confirms
//! (publishes are spread over them) and one exclusive reply queue whose consumer
//! routes each reply to the waiting call by `correlation_id` ([`session`]). When
//! that consumer ends (the connection was lost), every call still waiting on it
//! fails at once with 503 instead of waiting for its timeout.

mod session;

use std::{sync::Arc, time::Duration};

use lapin::{
    BasicProperties, Confirmation,
    message::Delivery,
    options::BasicPublishOptions,
    types::{AMQPValue, FieldTable},
};
use protocol::{
    Answer, Call, LogPayload, ServerTiming, WorkerError,
    amqp::{AmqpNames, AmqpReply, DEFAULT_ROUTING_KEY},
    timing::{SENT_AT_HEADER, SERVER_TIMING},
};
use tokio::sync::{RwLock, oneshot};
use tracing::Instrument;

use self::session::{PendingGuard, Session};
use crate::{CallError, WorkerClient};

/// Publishes by `outcome`: `ack` (confirmed), `returned` (confirmed but
/// unroutable), `nack`, `failed` (the channel broke), `timeout`.
pub const PUBLISHES: &str = "flexi_amqp_publishes_total";

/// The handles of [`PUBLISHES`] (registered once: every publish counts).
static PUBLISH_SERIES: runtime::metrics::Handles<metrics::Counter, 1> =
    runtime::metrics::Handles::new(|[outcome]| metrics::counter!(PUBLISHES, "outcome" => outcome));

/// Name used in errors for RabbitMQ itself.
const RABBITMQ: &str = "RabbitMQ";

/// A shared, self-healing RabbitMQ client.
pub struct AmqpClient {
    url: String,
    names: AmqpNames,
    connection_name: String,
    channel_count: usize,
    timeout: Duration,
    session: RwLock<Option<Arc<Session>>>,
}

impl AmqpClient {
    /// A client that connects on first use, showing itself in RabbitMQ as
    /// `service`; `timeout` bounds connecting and each call.
    pub fn new(
        url: String,
        names: AmqpNames,
        service: &str,
        channel_count: usize,
        timeout: Duration,
    ) -> Self {
        Self {
            url,
            connection_name: names.connection_name(service),
            names,
            channel_count: channel_count.max(1),
            timeout,
            session: RwLock::new(None),
        }
    }

    /// Publishes a log event to `logs_topic` with routing key `log.INFO` (the Go
    /// original's path) and waits for RabbitMQ's confirm: once this returns `Ok`,
    /// the event is in the listener's durable queue.
    ///
    /// In a producer span of the caller's trace, whose context the message carries
    /// to the listener.
    pub async fn publish_event(&self, entry: &LogPayload) -> Result<(), CallError> {
        let span = tracing::info_span!(
            "AMQP publish",
            otel.kind = "producer",
            messaging.system = "rabbitmq",
            messaging.destination.name = %self.names.logs_exchange,
        );
        self.publish_log(entry).instrument(span).await
    }

    async fn publish_log(&self, entry: &LogPayload) -> Result<(), CallError> {
        let session = self.session().await?;
        let body = serde_json::to_vec(entry).map_err(|_| CallError::Protocol(RABBITMQ.into()))?;
        let mut headers = FieldTable::default();
        runtime::trace::inject(&mut runtime::amqp::HeaderWriter(&mut headers));
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2)
            .with_headers(headers);
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
        let result = match tokio::time::timeout(self.timeout, published).await {
            Ok(Ok(confirmation)) => Ok(confirmation),
            Ok(Err(error)) => {
                tracing::warn!(%error, "publish failed; the connection will be rebuilt");
                self.forget(session).await;
                Err(CallError::Unreachable(RABBITMQ.into()))
            }
            Err(_) => Err(CallError::Timeout(RABBITMQ.into())),
        };
        let outcome = match &result {
            Ok(Confirmation::Ack(None) | Confirmation::NotRequested) => "ack",
            Ok(Confirmation::Ack(Some(_))) => "returned",
            Ok(Confirmation::Nack(_)) => "nack",
            Err(CallError::Timeout(_)) => "timeout",
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
        let session = match tokio::time::timeout(self.timeout, connecting).await {
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
}

impl WorkerClient for AmqpClient {
    /// Publishes the call (its `/handle` JSON) to its worker's request queue and
    /// waits for the worker's reply.
    /// In a client span of the caller's trace, whose context the request carries.
    async fn call(&self, call: &Call) -> Result<Answer, CallError> {
        let span = tracing::info_span!(
            "AMQP request",
            otel.kind = "client",
            messaging.system = "rabbitmq",
            messaging.destination.name = %self.names.request_queues.get(call.worker()),
        );
        self.request(call).instrument(span).await
    }
}

impl AmqpClient {
    async fn request(&self, call: &Call) -> Result<Answer, CallError> {
        let worker = call.worker();
        let session = self.session().await?;
        let body = serde_json::to_vec(call).map_err(|_| CallError::Protocol(RABBITMQ.into()))?;
        let id = uuid::Uuid::new_v4().to_string();
        let (tx, rx) = oneshot::channel();
        let _waiting = PendingGuard::insert(&session.pending, id.clone(), tx);
        if !session.replies_alive() {
            // The reply consumer ended before this call registered: no answer can come.
            return Err(CallError::Unreachable(RABBITMQ.into()));
        }
        let properties = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_correlation_id(id.as_str().into())
            .with_reply_to(session.reply_queue.as_str().into())
            // A request nobody took in time is dropped by RabbitMQ, not served late.
            .with_expiration(self.timeout.as_millis().to_string().into())
            .with_headers(sent_now());
        let queue = self.names.request_queues.get(worker);
        let confirmation = self.publish(&session, "", queue, &body, properties).await?;
        if let Confirmation::Ack(Some(_)) = confirmation {
            // Unroutable: the request queue does not exist, so no worker consumes it.
            return Err(CallError::Unreachable(worker.name().into()));
        }
        let reply = tokio::time::timeout(self.timeout, rx)
            .await
            .map_err(|_| CallError::Timeout(worker.name().into()))?
            .map_err(|_| CallError::Unreachable(RABBITMQ.into()))?;
        let answer: AmqpReply = serde_json::from_slice(&reply.data).map_err(|e| {
            tracing::warn!(%worker, error = %e, "invalid reply");
            CallError::Protocol(worker.name().into())
        })?;
        let mut answer = answer.map_err(CallError::Worker)?;
        answer.timing = timing_of(&reply);
        Ok(answer)
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

/// The worker's timing from a reply's `server-timing` header.
fn timing_of(reply: &Delivery) -> Option<ServerTiming> {
    let headers = reply.properties.headers().as_ref()?;
    match headers.inner().get(SERVER_TIMING)? {
        AMQPValue::LongString(text) => ServerTiming::parse_header(&text.to_string()),
        _ => None,
    }
}
