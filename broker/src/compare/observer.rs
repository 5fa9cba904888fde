//! What a running comparison shows while it runs: the current run's calls so far
//! (read about every second for a stream's `progress` events) and the results
//! and sweep steps as they end.

use std::{
    sync::{Mutex, MutexGuard},
    time::Instant,
};

use hdrhistogram::Histogram;
use protocol::{
    Transport,
    compare::{Phase, Progress, StepEvent, TransportStats},
};
use tokio::sync::mpsc::UnboundedSender;

use super::stats::{histogram, quantile_ms};

/// What a comparison announces as it goes.
#[derive(Debug)]
pub enum Event {
    /// A sweep's step ended.
    Step(StepEvent),
    /// A transport's run (at one size) ended.
    Result(Box<TransportStats>),
}

/// The run in progress.
struct Live {
    transport: Transport,
    payload_bytes: Option<u32>,
    rate: Option<u32>,
    phase: Phase,
    started: Instant,
    calls: u64,
    errors: u64,
    latency: Histogram<u64>,
    /// `calls` and the time when the previous progress was read.
    last: (u64, Instant),
}

/// Watches a comparison; a stream reads it, a plain answer ignores it.
#[derive(Default)]
pub struct Observer {
    live: Mutex<Option<Live>>,
    events: Option<UnboundedSender<Event>>,
}

impl Observer {
    /// An observer that also sends every [`Event`] to `events`.
    pub fn sending(events: UnboundedSender<Event>) -> Self {
        Self {
            live: Mutex::default(),
            events: Some(events),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<Live>> {
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A run (or its warm-up) begins.
    pub fn begin(
        &self,
        transport: Transport,
        payload_bytes: Option<u32>,
        rate: Option<u32>,
        phase: Phase,
    ) {
        let now = Instant::now();
        *self.lock() = Some(Live {
            transport,
            payload_bytes,
            rate,
            phase,
            started: now,
            calls: 0,
            errors: 0,
            latency: histogram(),
            last: (0, now),
        });
    }

    /// The run ended: nothing to report until the next one begins.
    pub fn end(&self) {
        *self.lock() = None;
    }

    /// One call of the current run answered: in `latency_us` when it succeeded.
    pub fn record(&self, latency_us: Option<u64>) {
        if let Some(live) = self.lock().as_mut() {
            live.calls += 1;
            match latency_us {
                Some(micros) => live.latency.saturating_record(micros.max(1)),
                None => live.errors += 1,
            }
        }
    }

    /// `count` calls of the current run failed without an answer.
    pub fn failed(&self, count: u64) {
        if let Some(live) = self.lock().as_mut() {
            live.calls += count;
            live.errors += count;
        }
    }

    /// The current run so far, and its rate since the previous reading.
    pub fn progress(&self) -> Option<Progress> {
        let mut live = self.lock();
        let live = live.as_mut()?;
        let now = Instant::now();
        let (last_calls, last_at) = std::mem::replace(&mut live.last, (live.calls, now));
        let interval = now.duration_since(last_at).as_secs_f64().max(f64::EPSILON);
        Some(Progress {
            transport: live.transport,
            payload_bytes: live.payload_bytes,
            rate: live.rate,
            phase: live.phase,
            elapsed_s: now.duration_since(live.started).as_secs_f64(),
            calls: live.calls,
            errors: live.errors,
            p50_ms: quantile_ms(&live.latency, 0.50),
            p99_ms: quantile_ms(&live.latency, 0.99),
            rps: (live.calls - last_calls) as f64 / interval,
        })
    }

    /// Announces `event` (to a stream, if one listens).
    pub fn emit(&self, event: Event) {
        if let Some(events) = &self.events {
            let _ = events.send(event);
        }
    }
}
