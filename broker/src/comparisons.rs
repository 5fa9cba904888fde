//! What keeps `POST /compare` from being a way to take the system down: one
//! comparison at a time per broker (a second one gets a 429 with `Retry-After`),
//! and a comparison whose client went away stops. And the two ways its answer
//! is written while it runs: [`heartbeat_then`] (one JSON document) and
//! [`events_then`] (`text/event-stream`).
//!
//! actix-web does not cancel a handler when its client disconnects (it only
//! notices when it writes), so the answer is written while the comparison runs:
//! the status and headers at once, then a space every [`HEARTBEAT`] (JSON allows
//! whitespace before a document), then the report. A write to a closed
//! connection fails, actix-web drops the body, and with it the comparison.

use std::{
    convert::Infallible,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::web::Bytes;
use futures::Stream;
use protocol::compare::{Comparison, DRAIN, Mode};
use serde::Serialize;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::compare::observer::{Event, Observer};

/// How often a running comparison writes a space to its client.
pub const HEARTBEAT: Duration = Duration::from_millis(250);

/// The broker's one comparison slot (shared by every actix-web worker).
#[derive(Debug, Default)]
pub struct Comparisons {
    /// When the running comparison ends at the latest, while one runs.
    running_until: Mutex<Option<Instant>>,
}

/// The slot, held while a comparison runs; freed when dropped.
#[derive(Debug)]
pub struct Slot(Arc<Comparisons>);

impl Comparisons {
    /// The slot for a comparison that runs at most `longest`, or the seconds
    /// until the running one ends at the latest (at least 1).
    pub fn try_start(self: &Arc<Self>, longest: Duration) -> Result<Slot, u64> {
        let mut running = self.lock();
        let now = Instant::now();
        if let Some(until) = *running {
            let left = until.saturating_duration_since(now);
            return Err(left.as_secs_f64().ceil().max(1.0) as u64);
        }
        *running = Some(now + longest);
        Ok(Slot(Arc::clone(self)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.running_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        *self.0.lock() = None;
    }
}

/// The body of a comparison's answer: a space at once and every [`HEARTBEAT`]
/// while `run` runs, then what `run` returns. Dropping the stream (the client
/// went away) drops `run`.
pub fn heartbeat_then(
    run: impl Future<Output = Bytes> + 'static,
) -> impl Stream<Item = Result<Bytes, Infallible>> {
    let ticks = tokio::time::interval(HEARTBEAT);
    let run = Some(Box::pin(run));
    futures::stream::unfold((run, ticks), |(run, mut ticks)| async move {
        let mut run = run?;
        tokio::select! {
            body = &mut run => Some((Ok(body), (None, ticks))),
            _ = ticks.tick() => Some((Ok(Bytes::from_static(b" ")), (Some(run), ticks))),
        }
    })
}

/// The longest `comparison` may hold the slot: its planned length and the
/// drain of each run (`rate`, `sweep`), or `max_duration` per closed run,
/// warm-ups included.
pub fn longest(comparison: &Comparison, max_duration: Duration) -> Duration {
    let runs = (comparison.transports.len() * comparison.size_runs().len()) as u32;
    let warm_up = u32::from(!comparison.warmup.is_zero());
    let open_runs = match comparison.mode {
        Mode::Closed { .. } => return (max_duration + comparison.warmup) * runs,
        Mode::Rate { .. } => 1,
        Mode::Sweep {
            start_rate,
            max_rate,
            ..
        } => Mode::sweep_rates(start_rate, max_rate).count() as u32,
    };
    let planned = comparison.planned().unwrap_or_default();
    planned + DRAIN * (open_runs + warm_up) * runs
}

/// How often a streamed comparison reports its progress.
pub const PROGRESS_EVERY: Duration = Duration::from_secs(1);

/// One server-sent event: `event: NAME`, `data: JSON` (one line), a blank line.
pub fn sse(name: &str, data: &impl Serialize) -> Bytes {
    // Serializing plain data (strings, numbers, lists) does not fail.
    let json = serde_json::to_string(data).unwrap_or_default();
    Bytes::from(format!("event: {name}\ndata: {json}\n\n"))
}

fn event(event: Event) -> Bytes {
    match event {
        Event::Step(step) => sse("step", &step),
        Event::Result(stats) => sse("result", &stats),
    }
}

/// The body of a streamed comparison: a `progress` event every
/// [`PROGRESS_EVERY`] from what `observer` sees, every `step` and `result`
/// from `events` as they come, then `report` with what `run` returns (the
/// JSON answer). Dropping the stream (the client went away) drops `run`.
pub fn events_then(
    run: impl Future<Output = Bytes> + 'static,
    observer: Arc<Observer>,
    events: UnboundedReceiver<Event>,
) -> impl Stream<Item = Result<Bytes, Infallible>> {
    // The first progress a second in (an interval's first tick is at once).
    let mut ticks =
        tokio::time::interval_at(tokio::time::Instant::now() + PROGRESS_EVERY, PROGRESS_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let state = (Some(Box::pin(run)), events, ticks);
    futures::stream::unfold(state, move |(run, mut events, mut ticks)| {
        let observer = Arc::clone(&observer);
        async move {
            let mut run = run?;
            let chunk = tokio::select! {
                // Events first: every step and result is out before the report.
                biased;
                Some(next) = events.recv() => event(next),
                body = &mut run => {
                    // What the run's last poll announced, then the report.
                    let mut last = Vec::new();
                    while let Ok(next) = events.try_recv() {
                        last.extend_from_slice(&event(next));
                    }
                    last.extend_from_slice(b"event: report\ndata: ");
                    last.extend_from_slice(&body);
                    last.extend_from_slice(b"\n\n");
                    return Some((Ok(Bytes::from(last)), (None, events, ticks)));
                }
                _ = ticks.tick() => match observer.progress() {
                    Some(progress) => sse("progress", &progress),
                    // Between runs: a comment keeps the connection written to.
                    None => Bytes::from_static(b": between runs\n\n"),
                },
            };
            Some((Ok(chunk), (Some(run), events, ticks)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_comparison_at_a_time_and_the_slot_is_free_again_once_dropped() {
        let comparisons = Arc::new(Comparisons::default());
        let slot = comparisons
            .try_start(Duration::from_secs(10))
            .expect("the slot is free");
        let retry_after = comparisons
            .try_start(Duration::from_secs(1))
            .expect_err("one runs");
        assert!((9..=10).contains(&retry_after), "{retry_after}");
        drop(slot);
        assert!(comparisons.try_start(Duration::from_secs(1)).is_ok());
    }

    #[tokio::test]
    async fn the_body_is_spaces_while_it_runs_then_the_report() {
        use futures::StreamExt;
        let run = async {
            tokio::time::sleep(HEARTBEAT * 2 + HEARTBEAT / 2).await;
            Bytes::from_static(b"{}")
        };
        let chunks: Vec<Bytes> = heartbeat_then(run)
            .map(|chunk| chunk.unwrap_or_else(|never| match never {}))
            .collect()
            .await;
        let body: Vec<u8> = chunks.concat();
        assert_eq!(
            body, b"   {}",
            "a space at once and one per heartbeat, then the report"
        );
    }

    #[tokio::test]
    async fn a_stream_sends_what_the_run_announced_last_before_the_report() {
        use futures::StreamExt;
        use protocol::{
            Transport,
            compare::{Step, StepEvent},
        };
        let (sender, events) = tokio::sync::mpsc::unbounded_channel();
        let observer = Arc::new(Observer::sending(sender));
        let announcing = Arc::clone(&observer);
        let step = Step {
            rate: 50,
            ok: 50,
            errors: 0,
            rps: 50.0,
            p50_ms: 1.0,
            p90_ms: 1.0,
            p99_ms: 1.0,
            max_ms: 1.0,
            service_p50_ms: 1.0,
            service_p99_ms: 1.0,
            late: 0,
            met_slo: true,
        };
        // The step is announced in the same poll that ends the run.
        let run = async move {
            announcing.emit(Event::Step(StepEvent {
                transport: Transport::Grpc,
                payload_bytes: None,
                step,
            }));
            Bytes::from_static(b"{}")
        };
        let chunks: Vec<Bytes> = events_then(run, observer, events)
            .map(|chunk| chunk.unwrap_or_else(|never| match never {}))
            .collect()
            .await;
        let body = String::from_utf8(chunks.concat()).expect("UTF-8");
        let step_at = body.find("event: step\ndata: {").expect(&body);
        let report_at = body.find("event: report\ndata: {}\n\n").expect(&body);
        assert!(step_at < report_at, "{body}");
        assert!(body.ends_with("event: report\ndata: {}\n\n"), "{body}");
    }
}
