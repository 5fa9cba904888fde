//! Workers over NATS: request/reply to each worker's subject ([`NatsClient`]),
//! and the log event on JetStream ([`NatsClient::events`]).
//!
//! One connection per client, opened on first use; the client reconnects by
//! itself after NATS restarts. While it is disconnected a call is not sent:
//! it fails at once (503) instead of waiting in the client's buffer for its
//! deadline. A request nobody serves (no replica subscribed: the worker is
//! down) is answered by NATS at once, also a 503. A call larger than the
//! server's `max_payload` is refused before it is sent (413).

use std::{sync::Arc, time::Duration};

use async_nats::{client::RequestErrorKind, connection::State, jetstream};
use protocol::{Answer, Call, Data, Reply, WorkerError, nats::NatsNames};
use runtime::nats::NatsSettings;
use tokio::sync::OnceCell;
use tracing::Instrument;

use crate::{CallError, Request, Sender};

/// The broker's message for a log event JetStream acknowledged.
pub const LOGGED_VIA_JETSTREAM: &str = "logged via NATS JetStream";

/// Name used in errors for NATS itself.
const NATS: &str = "NATS";

/// A shared NATS client: request/reply as a service.
#[derive(Clone)]
pub struct NatsClient(Arc<Inner>);

struct Inner {
    settings: NatsSettings,
    names: NatsNames,
    connection_name: String,
    connect: Duration,
    client: OnceCell<async_nats::Client>,
    /// The stream, made sure of once per client (by its first event).
    stream_ready: OnceCell<()>,
}

impl NatsClient {
    /// A client that connects on first use as `service`; connecting takes at
    /// most `connect`. Its events go to the stream the settings bound.
    pub fn new(settings: NatsSettings, service: &str, connect: Duration) -> Self {
        let names = settings.names();
        let connection_name = names.connection_name(service);
        Self(Arc::new(Inner {
            settings,
            names,
            connection_name,
            connect,
            client: OnceCell::new(),
            stream_ready: OnceCell::new(),
        }))
    }

    /// The log event on JetStream as a service: a `log` call's entry
    /// published to the event subject, answered once JetStream acknowledged
    /// it (it is then on disk in the stream, for the listener to store).
    pub fn events(&self) -> NatsEvents {
        NatsEvents(self.clone())
    }
}

impl Inner {
    /// The connected client (connecting on first use).
    async fn client(&self) -> Result<&async_nats::Client, CallError> {
        let connecting = || async {
            let name = &self.connection_name;
            self.settings
                .connect(name, self.connect)
                .await
                .map_err(|error| {
                    tracing::warn!(%error, "cannot connect to NATS");
                    CallError::Unreachable(NATS.into())
                })
        };
        let client = self.client.get_or_try_init(connecting).await?;
        if client.connection_state() == State::Connected {
            Ok(client)
        } else {
            // Its buffer would hold the call until NATS is back: not sent.
            Err(CallError::Unreachable(NATS.into()))
        }
    }

    async fn request(&self, request: Request) -> Result<Answer, CallError> {
        let worker = request.worker();
        let client = self.client().await?;
        let body =
            serde_json::to_vec(&*request.call).map_err(|_| CallError::Protocol(NATS.into()))?;
        let message = async_nats::Request::new()
            .payload(body.into())
            .headers(runtime::nats::headers())
            .timeout(Some(request.remaining()));
        let subject = self.names.calls.get(request.call.worker()).clone();
        let reply = client
            .send_request(subject, message)
            .await
            .map_err(|error| match error.kind() {
                RequestErrorKind::NoResponders => CallError::Unreachable(worker.into()),
                RequestErrorKind::TimedOut => CallError::Timeout(worker.into()),
                RequestErrorKind::MaxPayloadExceeded => too_large(client),
                RequestErrorKind::InvalidSubject | RequestErrorKind::Other => {
                    tracing::warn!(worker, %error, "NATS request failed");
                    CallError::Unreachable(NATS.into())
                }
            })?;
        let reply: Reply = serde_json::from_slice(&reply.payload).map_err(|e| {
            tracing::warn!(worker, error = %e, "invalid NATS reply");
            CallError::Protocol(worker.into())
        })?;
        reply.map_err(CallError::Worker)
    }

    async fn publish_event(&self, call: &Call) -> Result<Answer, CallError> {
        let Call::Log { log } = call else {
            let only = format!("only a log is an event, not {}", call.action());
            return Err(CallError::Worker(WorkerError::Invalid(only)));
        };
        let client = self.client().await?;
        let jetstream = jetstream::new(client.clone());
        let ensure = || self.settings.stream.ensure(&jetstream, &self.names);
        self.stream_ready
            .get_or_try_init(ensure)
            .await
            .map_err(|error| {
                tracing::warn!(%error, "cannot make sure of the event stream");
                CallError::Unreachable(NATS.into())
            })?;
        let body = serde_json::to_vec(log).map_err(|_| CallError::Protocol(NATS.into()))?;
        let mut headers = runtime::nats::headers();
        let id = uuid::Uuid::new_v4().to_string();
        headers.insert(protocol::nats::MSG_ID_HEADER, id.as_str());
        let subject = self.names.events.clone();
        let published = async {
            jetstream
                .publish_with_headers(subject, headers, body.into())
                .await?
                .await
        };
        published.await.map_err(|error| {
            use jetstream::context::PublishErrorKind as Kind;
            match error.kind() {
                Kind::MaxPayloadExceeded => too_large(client),
                Kind::TimedOut => CallError::Timeout(NATS.into()),
                _ => {
                    tracing::warn!(%error, "JetStream did not take the event");
                    CallError::Unreachable(NATS.into())
                }
            }
        })?;
        Ok(Answer::new(LOGGED_VIA_JETSTREAM, Data::Log))
    }
}

/// The call is larger than the server takes in one message.
fn too_large(client: &async_nats::Client) -> CallError {
    let max = client.max_payload();
    CallError::TooLarge(format!(
        "the call is larger than NATS takes in one message ({max} bytes, max_payload)"
    ))
}

impl Sender for NatsClient {
    /// Sends the call (its `/handle` JSON) to its worker's subject and waits
    /// for the reply on an inbox, in a client span of the caller's trace,
    /// whose context the request's headers carry.
    async fn send(self, request: Request) -> Result<Answer, CallError> {
        let span = tracing::info_span!(
            "NATS request",
            otel.kind = "client",
            messaging.system = "nats",
            messaging.destination.name = %self.0.names.calls.get(request.call.worker()),
        );
        self.0.request(request).instrument(span).await
    }
}

/// The log event's service on JetStream ([`NatsClient::events`]).
#[derive(Clone)]
pub struct NatsEvents(NatsClient);

impl Sender for NatsEvents {
    async fn send(self, request: Request) -> Result<Answer, CallError> {
        let inner = self.0.0;
        let span = tracing::info_span!(
            "JetStream publish",
            otel.kind = "producer",
            messaging.system = "nats",
            messaging.destination.name = %inner.names.events,
        );
        inner.publish_event(&request.call).instrument(span).await
    }
}
