//! A worker's AMQP request/reply server: the same [`Handler`] that serves HTTP,
//! tarpc and gRPC, reached through the worker's own request queue.
//!
//! Each message is a [`protocol::Call`] as JSON (the `/handle` body). The worker
//! handles it and publishes its [`protocol::Reply`] to the message's `reply_to` with its
//! `correlation_id`, then acks. A request is never redelivered: its caller has
//! its answer, or has given up on it.
//!
//! A worker answers only to reply queues of the broker's naming
//! ([`protocol::amqp::is_reply_queue`]): publishing through the default exchange
//! reaches any queue by name, and RabbitMQ's permissions cannot narrow that, so
//! a request whose `reply_to` names another service's queue (a worker's
//! requests, the listener's events) would have its worker write into it. Such a
//! request is neither done nor answered: it is rejected without requeue.

use std::sync::atomic::AtomicBool;

use lapin::types::AMQPValue;
use lapin::{
    BasicProperties, Channel, Connection,
    message::Delivery,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicPublishOptions, BasicQosOptions,
        BasicRejectOptions,
    },
    types::{FieldTable, ShortString},
};
use protocol::{Transport, amqp::is_reply_queue, timing::SENT_AT_HEADER};
use tokio_util::sync::CancellationToken;

use super::AmqpSettings;
use crate::worker::{Handler, serve_json};

/// Consumes the worker's request queue until `shutdown`, reconnecting whenever
/// RabbitMQ goes away; returns once the requests in flight are answered.
pub async fn serve_requests<H: Handler>(
    settings: &AmqpSettings,
    prefetch: u16,
    handler: H,
    shutdown: CancellationToken,
) {
    let names = settings.names();
    let queue = names.request_queues.get(H::WORKER).clone();
    let connected = AtomicBool::new(false);
    let name = names.connection_name(H::WORKER.name());
    let (queue, handler, stop, up) = (&queue, &handler, &shutdown, &connected);
    super::supervise(&settings.amqp_url, &name, stop, up, |connection| {
        session(connection, queue, prefetch, handler, stop, up)
    })
    .await;
}

/// One connection's life: `Ok` on shutdown, `Err` when the connection or the
/// consumer failed.
async fn session<H: Handler>(
    connection: std::sync::Arc<Connection>,
    queue: &str,
    prefetch: u16,
    handler: &H,
    shutdown: &CancellationToken,
    consuming: &AtomicBool,
) -> lapin::Result<()> {
    let channel = connection.create_channel().await?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    super::declare_request_queue(&channel, queue).await?;
    let requests = channel
        .basic_consume(
            queue.into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    consuming.store(true, std::sync::atomic::Ordering::Relaxed);
    tracing::info!(queue, "serving AMQP requests");
    super::consume(requests, shutdown, |delivery| {
        answer(handler.clone(), delivery, channel.clone())
    })
    .await
}

/// Handles one request and publishes the reply, its timing saying how long the
/// request waited in RabbitMQ too.
async fn answer<H: Handler>(handler: H, delivery: Delivery, channel: Channel) {
    let reply_to = delivery.properties.reply_to().clone();
    let Some(reply_to) = reply_to.filter(|queue| is_reply_queue(queue.as_str())) else {
        return refuse(&delivery).await;
    };
    let queued = queued_for(&delivery);
    let mut reply = serve_json(&handler, &delivery.data, Transport::Amqp).await;
    if let Ok(timing) = reply.as_mut().map(|answer| answer.timing.as_mut())
        && let Some(timing) = timing
    {
        timing.queue_us = queued;
    }
    match serde_json::to_vec(&reply) {
        Ok(body) => publish(&channel, &delivery, reply_to, &body).await,
        Err(error) => tracing::error!(%error, "could not serialize a reply"),
    }
    if let Err(error) = delivery.ack(BasicAckOptions::default()).await {
        tracing::warn!(%error, "ack of a request failed");
    }
}

/// Publishes a reply to `reply_to` with the request's `correlation_id`.
async fn publish(channel: &Channel, delivery: &Delivery, reply_to: ShortString, body: &[u8]) {
    let mut properties = BasicProperties::default().with_content_type("application/json".into());
    if let Some(id) = delivery.properties.correlation_id() {
        properties = properties.with_correlation_id(id.clone());
    }
    let options = BasicPublishOptions::default();
    let published = channel
        .basic_publish("".into(), reply_to, options, body, properties)
        .await;
    if let Err(error) = published {
        tracing::warn!(%error, "could not publish a reply");
    }
}

/// A request without a reply queue of the broker's naming: not done, not
/// answered, rejected without requeue (the request queue has no dead-letter
/// exchange: it is dropped).
async fn refuse(delivery: &Delivery) {
    // Logged once a second at most: a flood of them cannot flood the log.
    let reply_to = delivery.properties.reply_to().as_ref();
    let reply_to = reply_to.map_or("", |queue| queue.as_str());
    crate::throttled!(
        warn,
        "refused a request: its reply_to is not a reply queue of the broker's",
        reply_to
    );
    let options = BasicRejectOptions { requeue: false };
    if let Err(error) = delivery.reject(options).await {
        tracing::warn!(%error, "reject of a request failed");
    }
}

/// How long the request waited in RabbitMQ: now less the send time the caller
/// put in its headers (both clocks are this machine's on the local stack; across
/// machines it is as good as their clocks agree).
fn queued_for(delivery: &Delivery) -> Option<u64> {
    let headers = delivery.properties.headers().as_ref()?;
    let sent_at = match headers.inner().get(SENT_AT_HEADER)? {
        AMQPValue::LongLongInt(us) => u64::try_from(*us).ok()?,
        AMQPValue::LongUInt(us) => u64::from(*us),
        _ => return None,
    };
    Some(crate::timing::unix_micros().saturating_sub(sent_at))
}
