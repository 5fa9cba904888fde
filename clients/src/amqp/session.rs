//! One RabbitMQ connection of the client: its confirm-mode channels, its
//! exclusive reply queue, and the task that hands each reply to the call waiting
//! for its `correlation_id`.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex, MutexGuard,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
};

use futures::StreamExt;
use lapin::{Channel, Connection, Consumer, message::Delivery, options::ConfirmSelectOptions};
use protocol::amqp::AmqpNames;
use tokio::sync::oneshot;

/// Calls waiting for a reply, by correlation id.
type Waiting = HashMap<String, oneshot::Sender<Delivery>>;
pub(super) type Pending = Arc<Mutex<Waiting>>;

/// One connection's channels and reply queue.
pub(super) struct Session {
    pub(super) connection: Connection,
    pub(super) channels: Vec<Channel>,
    next: AtomicUsize,
    pub(super) reply_queue: String,
    replies_alive: Arc<AtomicBool>,
    /// Calls waiting for a reply on this session's reply queue.
    pub(super) pending: Pending,
}

impl Session {
    /// Whether the reply consumer still runs (replies can still arrive).
    pub(super) fn replies_alive(&self) -> bool {
        self.replies_alive.load(Ordering::Relaxed)
    }

    pub(super) fn healthy(&self) -> bool {
        self.connection.status().connected()
            && self.replies_alive.load(Ordering::Relaxed)
            && self.channels.iter().all(|c| c.status().connected())
    }

    pub(super) fn channel(&self) -> &Channel {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.channels.len();
        &self.channels[i]
    }
}

impl Session {
    /// Opens a connection named `name`, declares the event topology, opens
    /// `channel_count` confirm-mode channels and the reply queue, and starts the
    /// task that routes replies.
    pub(super) async fn open(
        url: &str,
        names: &AmqpNames,
        name: &str,
        channel_count: usize,
    ) -> lapin::Result<Session> {
        let connection = runtime::amqp::connect(url, name).await?;
        let setup = connection.create_channel().await?;
        runtime::amqp::declare_event_topology(&setup, names).await?;

        let mut channels = Vec::with_capacity(channel_count);
        for _ in 0..channel_count {
            let channel = connection.create_channel().await?;
            channel
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            channels.push(channel);
        }

        let (reply_queue, replies) = runtime::amqp::declare_reply_queue(&setup).await?;
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
                let _ = waiter.send(delivery);
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
pub(super) struct PendingGuard<'a> {
    pending: &'a Pending,
    id: String,
}

impl<'a> PendingGuard<'a> {
    pub(super) fn insert(pending: &'a Pending, id: String, tx: oneshot::Sender<Delivery>) -> Self {
        lock(pending).insert(id.clone(), tx);
        Self { pending, id }
    }
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        lock(self.pending).remove(&self.id);
    }
}
