//! What the two buses' consumers share: storing events' entries through the
//! logger, several in one call, each retried for as long as the logger is
//! unreachable, and the counts of what became of the events.

use std::time::Duration;

use backon::BackoffBuilder;
use clients::{CallError, http::HttpClient};
use protocol::{Bus, Call, LogPayload, Worker, WorkerError, batch::Batched};
use tokio_util::sync::CancellationToken;

/// Events by `bus` (`rabbitmq`, `nats`) and `outcome`: `delivered` (taken
/// from the bus), `acked` (stored), `retried` (a failed attempt that will be
/// tried again), `dead_lettered`, `requeued` (given back on shutdown).
pub const EVENTS: &str = "flexi_listener_events_total";

/// The handles of [`EVENTS`] (registered once: every event counts twice or more).
static EVENT_SERIES: runtime::metrics::Handles<metrics::Counter, 2> =
    runtime::metrics::Handles::new(
        |[bus, outcome]| metrics::counter!(EVENTS, "bus" => bus, "outcome" => outcome),
    );

/// Counts one event of `bus` with `outcome` in [`EVENTS`].
pub fn count(bus: Bus, outcome: &'static str) {
    EVENT_SERIES.with([bus.as_str(), outcome], |events| events.increment(1));
}

/// One event to store: its body (a log entry's JSON) and the trace it
/// belongs to.
pub struct Event<'a> {
    /// The message's body.
    pub payload: &'a [u8],
    /// The `traceparent` of the event's delivery, so the entry is stored in
    /// the event's own trace.
    pub traceparent: Option<&'a str>,
}

/// What became of an event's entry.
#[derive(Debug)]
pub enum Stored {
    /// The logger stored it: ack the event.
    Yes,
    /// It can never be stored (not an entry, or it failed too often): dead-letter it.
    Poison(String),
    /// The listener is stopping while the logger was away: give it back.
    Stopped,
}

/// An event not stored yet: its place in the batch, its call, its failures.
struct Pending {
    index: usize,
    call: Call,
    failures: u32,
}

/// Stores events' entries through the logger.
pub struct Store {
    /// The logger, over HTTP (a batch in one `POST /call`).
    pub logger: HttpClient,
    /// Deadline of one call to the logger.
    pub timeout: Duration,
    /// How often an event may fail with a non-transient error before it is
    /// dead-lettered.
    pub max_failed_attempts: u32,
}

impl Store {
    /// Stores the entries of `events` (each a log event's JSON) with one call
    /// to the logger, and answers what became of each, in order. Each entry
    /// has its own outcome: the stored ones are done, the others are sent
    /// again (transient failures, with backoff, for as long as they last,
    /// until `shutdown`) or are poison.
    pub async fn store(
        &self,
        bus: Bus,
        events: &[Event<'_>],
        shutdown: &CancellationToken,
    ) -> Vec<Stored> {
        let mut outcomes: Vec<Option<Stored>> = events.iter().map(|_| None).collect();
        let mut pending = Vec::with_capacity(events.len());
        for (index, event) in events.iter().enumerate() {
            count(bus, "delivered");
            match serde_json::from_slice::<LogPayload>(event.payload) {
                Ok(log) => pending.push(Pending {
                    index,
                    call: Call::Log { log },
                    failures: 0,
                }),
                Err(e) => outcomes[index] = Some(poison(bus, format!("not a log entry: {e}"))),
            }
        }
        let mut backoff = runtime::retry::backoff().build();
        while !pending.is_empty() {
            let calls: Vec<_> = pending
                .iter()
                .map(|p| Batched {
                    call: &p.call,
                    traceparent: events[p.index].traceparent,
                })
                .collect();
            let deadline = tokio::time::Instant::now() + self.timeout;
            let replies = self
                .logger
                .call_batch(Worker::Logger, &calls, deadline)
                .await;
            let mut left = Vec::new();
            let mut settle = |mut event: Pending, result: Result<(), CallError>| {
                let outcome = match result {
                    Ok(()) => {
                        count(bus, "acked");
                        Stored::Yes
                    }
                    Err(CallError::Worker(WorkerError::Invalid(reason))) => poison(bus, reason),
                    Err(error) if error.is_transient() => {
                        runtime::throttled!(warn, "logger unavailable; holding the event and retrying", %error);
                        return left.push(event);
                    }
                    Err(error) => {
                        event.failures += 1;
                        let failures = event.failures;
                        runtime::throttled!(warn, "storing an event failed", %error, failures);
                        if failures < self.max_failed_attempts {
                            return left.push(event);
                        }
                        poison(bus, error.to_string())
                    }
                };
                outcomes[event.index] = Some(outcome);
            };
            match replies {
                Ok(replies) => {
                    for (event, reply) in pending.into_iter().zip(replies) {
                        settle(event, reply.map(drop).map_err(CallError::Worker));
                    }
                }
                Err(error) => {
                    for event in pending {
                        settle(event, Err(error.clone()));
                    }
                }
            }
            pending = left;
            if pending.is_empty() {
                break;
            }
            for _ in &pending {
                count(bus, "retried");
            }
            let wait = backoff.next().unwrap_or(Duration::from_secs(5));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = shutdown.cancelled() => {
                    for event in pending {
                        count(bus, "requeued");
                        outcomes[event.index] = Some(Stored::Stopped);
                    }
                    break;
                }
            }
        }
        // Every event was settled above; one that was not would be given back.
        let settled = outcomes.into_iter().map(|o| o.unwrap_or(Stored::Stopped));
        settled.collect()
    }
}

fn poison(bus: Bus, reason: String) -> Stored {
    count(bus, "dead_lettered");
    runtime::throttled!(warn, "dead-lettering an event that cannot be stored", %reason);
    Stored::Poison(reason)
}
