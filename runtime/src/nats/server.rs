//! A worker's NATS request/reply server: the same [`Handler`] that serves
//! every transport, reached through the worker's own subject, whose requests
//! its replicas share as a queue group.
//!
//! Each request is a [`protocol::Call`] as JSON (the `/handle` body); the worker
//! handles it and publishes its [`Reply`] JSON to the request's inbox. (Its
//! timing has no queue part: the contract's `queue_ms` is AMQP's, whose
//! requests wait in a queue; a NATS request waits in no store.) At most
//! `max_in_flight` requests are handled at once; more wait in the
//! subscription (NATS drops what a slow consumer cannot take, and the caller
//! then sees its deadline pass). A request larger than the server's
//! `max_payload` never reaches the worker: the caller's client refuses it.

use std::sync::Arc;

use futures::StreamExt;
use protocol::{Reply, Transport, nats::NatsNames};
use tokio::sync::Semaphore;
use tokio_util::{sync::CancellationToken, task::TaskTracker};

use super::NatsSettings;
use crate::worker::{Handler, serve_json};

/// Serves the worker's subject until `shutdown` (connecting with backoff
/// while NATS is away; the client reconnects by itself afterwards); returns
/// once the requests in flight are answered.
pub async fn serve_requests<H: Handler>(
    settings: &NatsSettings,
    max_in_flight: usize,
    handler: H,
    shutdown: CancellationToken,
) {
    let names = settings.names();
    let subject = names.calls.get(H::WORKER).clone();
    let name = names.connection_name(H::WORKER.name());
    let timeout = std::time::Duration::from_secs(5);
    let connecting = crate::retry::until_ok("nats", &shutdown, || settings.connect(&name, timeout));
    let Some(client) = connecting.await else {
        return;
    };
    let group = NatsNames::queue_group(H::WORKER).to_owned();
    let subscribing = crate::retry::until_ok("nats", &shutdown, || {
        client.queue_subscribe(subject.clone(), group.clone())
    });
    let Some(mut requests) = subscribing.await else {
        return;
    };
    tracing::info!(subject, "serving NATS requests");
    let permits = Arc::new(Semaphore::new(max_in_flight.max(1)));
    let in_flight = TaskTracker::new();
    loop {
        let request = tokio::select! {
            () = shutdown.cancelled() => break,
            request = requests.next() => request,
        };
        let Some(request) = request else { break };
        let Ok(permit) = Arc::clone(&permits).acquire_owned().await else {
            break;
        };
        let (handler, client) = (handler.clone(), client.clone());
        in_flight.spawn(async move {
            answer(&handler, &client, request).await;
            drop(permit);
        });
    }
    // No more requests to this replica: the others of the group take them.
    if let Err(error) = requests.unsubscribe().await {
        tracing::debug!(%error, "unsubscribing from NATS failed");
    }
    in_flight.close();
    in_flight.wait().await;
    if let Err(error) = client.flush().await {
        tracing::debug!(%error, "flushing the last NATS replies failed");
    }
}

/// Handles one request in its caller's trace and publishes the reply.
async fn answer<H: Handler>(
    handler: &H,
    client: &async_nats::Client,
    request: async_nats::Message,
) {
    let Some(inbox) = request.reply.clone() else {
        crate::throttled!(
            warn,
            "a NATS message without a reply subject: not a request"
        );
        return;
    };
    let (span, current) = super::received("server", &request.subject, request.headers.as_ref());
    let handled = serve_json(handler, &request.payload, Transport::Nats);
    let reply: Reply = crate::trace::serve_in(span, current, handled).await;
    let body = match serde_json::to_vec(&reply) {
        Ok(body) => body,
        Err(error) => return tracing::error!(%error, "could not serialize a reply"),
    };
    if let Err(error) = client.publish(inbox, body.into()).await {
        crate::throttled!(warn, "could not publish a NATS reply", %error);
    }
}
