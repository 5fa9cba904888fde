//! The JetStream consumer of the log events published on NATS: the durable
//! pull consumer `listener` of the event stream (created if missing, as the
//! broker does), each event stored through the logger ([`crate::events`]) and
//! acked once stored. A listener that was away catches up on what the stream
//! kept meanwhile; a new durable name replays the stream from its start.
//!
//! While an event's entry waits for the logger, the event's ack deadline is
//! pushed back (`+WPI`), so JetStream does not hand it to another consumer.
//! A poison event is published to the dead-letter subject (kept by the
//! stream, consumed by nobody) with its reason, then terminated (`+TERM`).

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use async_nats::jetstream::{self, AckKind, consumer::pull};
use futures::StreamExt;
use protocol::{Bus, nats::NatsNames};
use runtime::nats::NatsSettings;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use crate::events::{Event, Store, Stored};

/// How long JetStream waits for an event's ack before handing it out again.
const ACK_WAIT: Duration = Duration::from_secs(30);

/// The JetStream consumer's settings.
pub struct JetStream {
    /// The server, the namespace and the stream's bounds (the listener
    /// creates the stream when missing).
    pub nats: NatsSettings,
    /// The durable consumer's name (`NATS_DURABLE`).
    pub durable: String,
    /// Events held unacked at once.
    pub max_ack_pending: u16,
}

impl JetStream {
    /// Consumes until `shutdown`, connecting (and setting up the stream and the
    /// consumer) with backoff while NATS is away; `connected` is set while it
    /// consumes. Returns once the events in flight are done.
    pub async fn run(
        self,
        store: Arc<Store>,
        connected: Arc<AtomicBool>,
        shutdown: CancellationToken,
    ) {
        let names = self.nats.names();
        let name = names.connection_name("listener");
        let timeout = Duration::from_secs(5);
        let connecting =
            runtime::retry::until_ok("nats", &shutdown, || self.nats.connect(&name, timeout));
        let Some(client) = connecting.await else {
            return;
        };
        let jetstream = jetstream::new(client.clone());
        let in_flight = TaskTracker::new();
        while !shutdown.is_cancelled() {
            let consuming = runtime::retry::until_ok("jetstream", &shutdown, || {
                self.messages(&jetstream, &names)
            });
            let Some(mut messages) = consuming.await else {
                break;
            };
            connected.store(true, Ordering::Relaxed);
            tracing::info!(stream = %names.stream, durable = %self.durable, "consuming events");
            loop {
                let next = tokio::select! {
                    () = shutdown.cancelled() => break,
                    next = messages.next() => next,
                };
                match next {
                    Some(Ok(message)) => {
                        let (store, client) = (Arc::clone(&store), client.clone());
                        let (dead, stop) = (names.dead_letters.clone(), shutdown.clone());
                        in_flight.spawn(handle(store, client, dead, message, stop));
                    }
                    Some(Err(error)) => {
                        runtime::throttled!(warn, "JetStream consumer error", %error);
                        connected.store(
                            client.connection_state() == async_nats::connection::State::Connected,
                            Ordering::Relaxed,
                        );
                    }
                    None => break,
                }
            }
            connected.store(false, Ordering::Relaxed);
        }
        in_flight.close();
        in_flight.wait().await;
        if let Err(error) = client.flush().await {
            tracing::debug!(%error, "flushing the last acks failed");
        }
    }

    /// The stream (made sure of), the durable consumer (created if missing)
    /// and its messages.
    async fn messages(
        &self,
        jetstream: &jetstream::Context,
        names: &NatsNames,
    ) -> anyhow::Result<pull::Stream> {
        self.nats.stream.ensure(jetstream, names).await?;
        let stream = jetstream.get_stream(&names.stream).await?;
        let config = pull::Config {
            durable_name: Some(self.durable.clone()),
            filter_subject: names.log_events.clone(),
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ack_wait: ACK_WAIT,
            max_ack_pending: i64::from(self.max_ack_pending),
            ..pull::Config::default()
        };
        let consumer = stream.get_or_create_consumer(&self.durable, config).await?;
        Ok(consumer.messages().await?)
    }
}

/// Stores one event (in the trace its headers carry), then acks it;
/// dead-letters poison; on shutdown gives it back (`-NAK`).
async fn handle(
    store: Arc<Store>,
    client: async_nats::Client,
    dead_letters: String,
    message: jetstream::Message,
    shutdown: CancellationToken,
) {
    let headers = message.headers.as_ref();
    let (span, current) = runtime::nats::received("consumer", &message.subject, headers);
    let parent = current.as_ref().map(|c| *c.traceparent());
    let stored = async {
        let event = Event {
            payload: &message.payload,
            traceparent: parent.as_ref().map(|p| p.as_str()),
        };
        let storing = store.store(Bus::Nats, std::slice::from_ref(&event), &shutdown);
        tokio::pin!(storing);
        let mut progress =
            tokio::time::interval_at(tokio::time::Instant::now() + ACK_WAIT / 3, ACK_WAIT / 3);
        loop {
            tokio::select! {
                stored = &mut storing => break stored.into_iter().next(),
                _ = progress.tick() => {
                    let _ = message.ack_with(AckKind::Progress).await;
                }
            }
        }
    };
    let stored = runtime::trace::serve_in(span, current, stored).await;
    let acked = match stored.unwrap_or(Stored::Stopped) {
        Stored::Yes => message.ack().await,
        Stored::Poison(reason) => {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Flexi-Dead-Reason", reason.as_str());
            let kept = client.publish_with_headers(dead_letters, headers, message.payload.clone());
            if let Err(error) = kept.await {
                tracing::warn!(%error, "could not keep a poison event");
            }
            message.ack_with(AckKind::Term).await
        }
        Stored::Stopped => message.ack_with(AckKind::Nak(None)).await,
    };
    if let Err(error) = acked {
        // A stored entry whose ack is lost is redelivered: at-least-once.
        tracing::warn!(%error, "acking an event failed");
    }
}
