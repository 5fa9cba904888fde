//! RabbitMQ connection and the contract's topology.
//!
//! The broker and the listener both declare the event topology (declarations are
//! idempotent), so an event published while the listener has never run still lands
//! in the listener's durable queue and is stored once it starts.
//!
//! ## Layout
//! - Here: connecting, keeping a session up ([`supervise`]), consuming with
//!   each delivery in its trace ([`consume`]), the trace context in headers.
//! - `topology`: the contract's exchanges and queues, a worker's request queue
//!   and a caller's reply queue ([`declare_reply_queue`]).
//! - `settings`: [`AmqpSettings`], where RabbitMQ is and the names' namespace.
//! - `server` (feature `worker`): a worker's request/reply consumer.

#[cfg(feature = "worker")]
pub mod server;
mod settings;
mod topology;

pub use settings::{AmqpSettings, ENV_AMQP_NAMESPACE, ENV_AMQP_URL, ENV_AMQP_URL_FILE};
pub use topology::{declare_event_topology, declare_reply_queue, declare_request_queue};

use std::{future::Future, io, sync::Arc};

use lapin::{
    Connection, ConnectionProperties,
    types::{AMQPValue, FieldTable},
    uri::AMQPUri,
};
use tokio_util::sync::CancellationToken;

/// The largest AMQP frame we ask for when the URL does not say (`?frame_max=`).
///
/// lapin keeps a receive and a send buffer of 32 frames each per connection,
/// zero-filled up front. At RabbitMQ's default frame size (128 KiB) that is 8 MiB
/// resident per connection, more than the rest of a service together. Our messages
/// are small JSON bodies; a larger one is split into several frames. At 8 KiB (the
/// smallest frame lapin buffers for) a connection's buffers take 512 KiB.
pub const DEFAULT_FRAME_MAX: u32 = 8 * 1024;

/// Parses an AMQP URL, filling in [`DEFAULT_FRAME_MAX`] unless the URL sets
/// `frame_max` itself.
pub fn parse_url(url: &str) -> Result<AMQPUri, String> {
    let mut uri: AMQPUri = url.parse()?;
    uri.query.frame_max.get_or_insert(DEFAULT_FRAME_MAX);
    Ok(uri)
}

/// Opens a connection named after the service (shown in RabbitMQ's management UI).
pub async fn connect(url: &str, service: &str) -> lapin::Result<Connection> {
    let uri = parse_url(url).map_err(|reason| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid AMQP URL: {reason}"),
        )
    })?;
    let properties = ConnectionProperties::default().with_connection_name(service.into());
    Connection::connect_uri(uri, properties).await
}

/// Keeps a session with RabbitMQ until `shutdown`: connects (retrying with
/// backoff while RabbitMQ is away), runs `session` on the connection, and
/// connects again whenever the session ends with an error (the connection or a
/// consumer was lost). The session sets `connected` once it consumes (what
/// `/health` reports); it is cleared here when the session ends.
pub async fn supervise<F: Future<Output = lapin::Result<()>>>(
    url: &str,
    name: &str,
    shutdown: &CancellationToken,
    connected: &std::sync::atomic::AtomicBool,
    mut session: impl FnMut(Arc<Connection>) -> F,
) {
    use std::sync::atomic::Ordering;
    loop {
        let connecting = crate::retry::until_ok("rabbitmq", shutdown, || connect(url, name));
        let Some(connection) = connecting.await else {
            return;
        };
        let connection = Arc::new(connection);
        let outcome = session(connection.clone()).await;
        connected.store(false, Ordering::Relaxed);
        match outcome {
            Ok(()) => {
                close(&connection, "shutting down").await;
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "RabbitMQ session ended; reconnecting");
                close(&connection, "reconnecting").await;
            }
        }
    }
}

/// How long [`close`] waits for RabbitMQ to confirm closing a connection.
const CLOSE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// Closes `connection`, waiting at most [`CLOSE_TIMEOUT`] for RabbitMQ's
/// confirmation, then drops it either way.
///
/// lapin's `close` can wait forever when the connection fails while it closes
/// (its channels stay in "invalid channel state: Closing" and the confirmation
/// never arrives); a service shutting down or reconnecting must not hang on it.
async fn close(connection: &Connection, reason: &str) {
    let closing = connection.close(200, reason.into());
    if tokio::time::timeout(CLOSE_TIMEOUT, closing).await.is_err() {
        tracing::warn!(
            reason,
            "RabbitMQ did not confirm closing the connection; dropping it"
        );
    }
}

/// Hands each delivery of `consumer` to a task of its own (`handle`) until
/// `shutdown` (then `Ok`) or until the consumer fails or ends (then `Err`: the
/// connection or the consumer was lost); either way it returns once the
/// deliveries in flight are handled. Each delivery is handled in the trace its
/// headers carry ([`delivery_context`]).
pub async fn consume<F>(
    mut consumer: lapin::Consumer,
    shutdown: &CancellationToken,
    mut handle: impl FnMut(lapin::message::Delivery) -> F,
) -> lapin::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    use futures::StreamExt;
    let in_flight = tokio_util::task::TaskTracker::new();
    let outcome = loop {
        tokio::select! {
            () = shutdown.cancelled() => break Ok(()),
            delivery = consumer.next() => match delivery {
                Some(Ok(delivery)) => {
                    let (span, current) = delivery_context(&delivery);
                    let handled = tracing::Instrument::instrument(handle(delivery), span);
                    match current {
                        Some(current) => in_flight.spawn(current.scope(handled)),
                        None => in_flight.spawn(handled),
                    };
                }
                Some(Err(error)) => break Err(error),
                // RabbitMQ cancelled the consumer or the connection closed.
                None => break Err(lapin::ErrorKind::InvalidConnectionState(
                    lapin::ConnectionState::Closed,
                ).into()),
            },
        }
    };
    in_flight.close();
    in_flight.wait().await;
    outcome
}

/// The context of one consumed message, in the trace its headers carry (or a
/// new one), and its span when spans are exported (`Span::none()` otherwise).
pub fn delivery_context(
    delivery: &lapin::message::Delivery,
) -> (tracing::Span, Option<crate::trace::Current>) {
    let span = crate::trace::server_span(|| {
        tracing::info_span!(
            "AMQP message",
            otel.kind = "consumer",
            messaging.system = "rabbitmq",
            messaging.rabbitmq.destination.routing_key = delivery.routing_key.as_str(),
        )
    });
    let headers = delivery.properties.headers().as_ref();
    let current = crate::trace::continue_from(&span, &HeaderReader(headers));
    (span, current)
}

/// A message's headers as a trace context carrier to read.
pub struct HeaderReader<'a>(pub Option<&'a FieldTable>);

impl opentelemetry::propagation::Extractor for HeaderReader<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match self.0?.inner().get(key)? {
            AMQPValue::LongString(text) => std::str::from_utf8(text.as_bytes()).ok(),
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        let keys = self.0.map(|table| table.inner().keys());
        keys.into_iter().flatten().map(|k| k.as_str()).collect()
    }
}

/// The headers of a message to publish, as a trace context carrier to write.
pub struct HeaderWriter<'a>(pub &'a mut FieldTable);

impl opentelemetry::propagation::Injector for HeaderWriter<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0
            .insert(key.into(), AMQPValue::LongString(value.into()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_frame_size_applies_unless_the_url_sets_one() {
        let uri = parse_url("amqp://guest:guest@127.0.0.1:5672/%2f").expect("valid");
        assert_eq!(uri.query.frame_max, Some(DEFAULT_FRAME_MAX));
        let uri = parse_url("amqp://127.0.0.1:5672/%2f?frame_max=131072").expect("valid");
        assert_eq!(uri.query.frame_max, Some(131_072));
    }
}
