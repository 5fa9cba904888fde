//! What the two buses' consumers share: storing one event's entry through the
//! logger, retried for as long as the logger is unreachable, and the counts of
//! what became of the events.

use std::{sync::Arc, time::Duration};

use backon::BackoffBuilder;
use clients::{CallError, CallService, Request};
use protocol::{Bus, Call, LogPayload, WorkerError};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

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

/// Stores events' entries through the logger.
pub struct Store {
    /// The logger, over HTTP.
    pub logger: CallService,
    /// Deadline of one call to the logger.
    pub timeout: Duration,
    /// How often an event may fail with a non-transient error before it is
    /// dead-lettered.
    pub max_failed_attempts: u32,
}

impl Store {
    /// Stores the entry in `payload` (a log event's JSON). Transient failures
    /// (the logger is unreachable) are retried with backoff for as long as
    /// they last, until `shutdown`.
    pub async fn store(&self, bus: Bus, payload: &[u8], shutdown: &CancellationToken) -> Stored {
        count(bus, "delivered");
        let call = match serde_json::from_slice::<LogPayload>(payload) {
            Ok(log) => Arc::new(Call::Log { log }),
            Err(e) => return self.poison(bus, format!("not a log entry: {e}")),
        };
        let mut backoff = runtime::retry::backoff().build();
        let mut failures = 0;
        loop {
            let request = Request {
                call: Arc::clone(&call),
                deadline: tokio::time::Instant::now() + self.timeout,
            };
            match self.logger.clone().oneshot(request).await {
                Ok(_) => {
                    count(bus, "acked");
                    return Stored::Yes;
                }
                Err(CallError::Worker(WorkerError::Invalid(reason))) => {
                    return self.poison(bus, reason);
                }
                Err(error) if error.is_transient() => {
                    runtime::throttled!(warn, "logger unavailable; holding the event and retrying", %error);
                }
                Err(error) => {
                    failures += 1;
                    runtime::throttled!(warn, "storing an event failed", %error, failures);
                    if failures >= self.max_failed_attempts {
                        return self.poison(bus, error.to_string());
                    }
                }
            }
            count(bus, "retried");
            let wait = backoff.next().unwrap_or(Duration::from_secs(5));
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = shutdown.cancelled() => {
                    count(bus, "requeued");
                    return Stored::Stopped;
                }
            }
        }
    }

    fn poison(&self, bus: Bus, reason: String) -> Stored {
        count(bus, "dead_lettered");
        runtime::throttled!(warn, "dead-lettering an event that cannot be stored", %reason);
        Stored::Poison(reason)
    }
}
