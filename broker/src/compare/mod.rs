//! The comparison: one call, repeated per transport in the mode asked (see
//! [`protocol::compare`]).
//!
//! Transports run one after the other (so they never compete for the CPU),
//! and for each message size, each transport in turn: a warm-up of the same
//! calls that is not counted, then the measured run: [`closed`] loops, or the
//! [`open`] loop at a rate (a sweep: one open run per step). Every successful
//! call's latency goes into HDR histograms ([`stats`]); throughput comes from
//! the wall-clock time of the run. A closed run stops issuing calls after
//! `max_duration` and reports what it finished.

mod closed;
mod events;
pub mod observer;
mod open;
mod stats;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use protocol::{
    Call, Transport,
    compare::{CompareReport, Comparison, Mode, Phase, StepEvent, TransportStats},
};

use crate::dispatch::{Dispatcher, Route};
use observer::{Event, Observer};

/// Runs every size and transport of the comparison, in order.
pub async fn run(
    dispatcher: &Dispatcher,
    comparison: &Comparison,
    max_duration: Duration,
    observer: &Observer,
) -> CompareReport {
    let mut results = Vec::new();
    let calls = comparison.transports.iter().map(|&t| Route::Call(t));
    let routes: Vec<Route> = calls
        .chain(comparison.buses.iter().map(|&b| Route::Event(b)))
        .collect();
    for size in comparison.size_runs() {
        let call = Arc::new(comparison.call_of_size(size));
        for &route in &routes {
            let run = Run {
                dispatcher,
                call: Arc::clone(&call),
                route,
                events: matches!(route, Route::Event(_)).then(events::Marks::new),
                comparison,
                size,
                observer,
            };
            let stats = run.transport(max_duration).await;
            tracing::info!(
                transport = %route.transport(), payload_bytes = size, ok = stats.ok, errors = stats.errors,
                p50_ms = stats.p50_ms, p99_ms = stats.p99_ms, rps = stats.rps, "compared"
            );
            observer.emit(Event::Result(Box::new(stats.clone())));
            results.push(stats);
        }
    }
    report(comparison, results)
}

fn report(comparison: &Comparison, results: Vec<TransportStats>) -> CompareReport {
    let mut report = CompareReport {
        action: comparison.call.action().as_str().to_owned(),
        mode: comparison.mode.name().to_owned(),
        requests: u32::try_from(comparison.mode.planned_calls()).unwrap_or(u32::MAX),
        concurrency: comparison.concurrency,
        warmup_s: comparison.warmup.as_secs_f64(),
        results,
        ..CompareReport::default()
    };
    match comparison.mode {
        Mode::Closed { .. } => {}
        Mode::Rate { rate, duration } => {
            report.rate = Some(rate);
            report.duration_s = Some(duration.as_secs() as u32);
        }
        Mode::Sweep {
            start_rate,
            max_rate,
            slo_ms,
            step,
        } => {
            report.start_rate = Some(start_rate);
            report.max_rate = Some(max_rate);
            report.slo_ms = Some(slo_ms);
            report.duration_s = Some(step.as_secs() as u32);
        }
    }
    report
}

/// One transport's (or bus's) run at one message size.
struct Run<'a> {
    dispatcher: &'a Dispatcher,
    call: Arc<Call>,
    route: Route,
    /// An event comparison's names of its events.
    events: Option<events::Marks>,
    comparison: &'a Comparison,
    size: Option<u32>,
    observer: &'a Observer,
}

impl Run<'_> {
    fn transport_of(&self) -> Transport {
        self.route.transport()
    }

    /// The call to send (or planned) at `at`: the run's call, or its next
    /// event.
    fn call_at(&self, at: Instant) -> Arc<Call> {
        match (&self.events, &*self.call) {
            (Some(marks), Call::Log { log }) => marks.event(log, at),
            _ => Arc::clone(&self.call),
        }
    }

    fn begin(&self, rate: Option<u32>, phase: Phase) {
        let transport = self.transport_of();
        self.observer.begin(transport, self.size, rate, phase);
    }

    /// The comparison's warm-up of the same calls (closed loops, or at `rate`),
    /// not counted: connections made, caches warm. Its first failure, if any.
    async fn warm_up(&self, rate: Option<u32>) -> Option<String> {
        let warmup = self.comparison.warmup;
        if warmup.is_zero() {
            return None;
        }
        self.begin(rate, Phase::Warmup);
        let (recorder, _) = match rate {
            None => {
                let deadline = Instant::now() + warmup;
                // At most as many calls as the run itself (the bytes bound counts them).
                let warm_up_calls = match self.comparison.mode {
                    Mode::Closed { requests } => requests.into(),
                    _ => u64::MAX,
                };
                closed::run(self, warm_up_calls, deadline).await
            }
            Some(rate) => {
                let calls = (f64::from(rate) * warmup.as_secs_f64()).ceil() as u64;
                open::run(self, rate, calls).await
            }
        };
        recorder.first_error().map(str::to_owned)
    }

    /// The transport's figures, whose first error is the warm-up's when that
    /// failed first (the measured calls may only see the circuit it opened).
    async fn transport(&self, max_duration: Duration) -> TransportStats {
        let rate = match self.comparison.mode {
            Mode::Closed { .. } => None,
            Mode::Rate { rate, .. } => Some(rate),
            Mode::Sweep { start_rate, .. } => Some(start_rate),
        };
        let warm_up_error = self.warm_up(rate).await;
        let mut stats = self.measure(max_duration).await;
        self.observer.end();
        if let Some(error) = warm_up_error
            && stats.errors > 0
        {
            stats.first_error = Some(format!("{error} (in the warm-up)"));
        }
        stats
    }

    async fn measure(&self, max_duration: Duration) -> TransportStats {
        let measured = self.events.as_ref().map(events::Marks::measure);
        let mut stats = self.measured(max_duration).await;
        if let (Some(prefix), Route::Event(bus)) = (measured, self.route) {
            stats.bus = Some(bus);
            let stored = events::end_to_end(self.dispatcher, &prefix, stats.ok).await;
            stats.end_to_end = Some(stored);
        }
        stats
    }

    async fn measured(&self, max_duration: Duration) -> TransportStats {
        let transport = self.transport_of();
        match self.comparison.mode {
            Mode::Closed { requests } => {
                self.begin(None, Phase::Measure);
                let deadline = Instant::now() + max_duration;
                let (recorder, elapsed) = closed::run(self, requests.into(), deadline).await;
                recorder.stats(transport, elapsed, self.size, None)
            }
            Mode::Rate { rate, duration } => {
                self.begin(Some(rate), Phase::Measure);
                let calls = u64::from(rate) * duration.as_secs();
                let (recorder, elapsed) = open::run(self, rate, calls).await;
                recorder.stats(transport, elapsed, self.size, Some(rate))
            }
            Mode::Sweep {
                start_rate,
                max_rate,
                slo_ms,
                step,
            } => self.sweep(start_rate, max_rate, slo_ms, step).await,
        }
    }

    /// Steps doubling from `start_rate` until one misses the SLO; the figures of
    /// the knee's step (the first's when none met it), with every step's.
    async fn sweep(
        &self,
        start_rate: u32,
        max_rate: u32,
        slo_ms: f64,
        length: Duration,
    ) -> TransportStats {
        let transport = self.transport_of();
        let mut steps = Vec::new();
        let mut reported = None;
        let mut knee = None;
        for rate in Mode::sweep_rates(start_rate, max_rate) {
            self.begin(Some(rate), Phase::Measure);
            let calls = u64::from(rate) * length.as_secs();
            let (recorder, elapsed) = open::run(self, rate, calls).await;
            let step = recorder.step(rate, elapsed, slo_ms);
            self.observer.emit(Event::Step(StepEvent {
                transport,
                payload_bytes: self.size,
                step: step.clone(),
            }));
            let met = step.met_slo;
            steps.push(step);
            if met || reported.is_none() {
                reported = Some(recorder.stats(transport, elapsed, self.size, Some(rate)));
            }
            if !met {
                break;
            }
            knee = Some(rate);
        }
        let mut stats = reported.unwrap_or_else(|| {
            stats::Recorder::new().stats(transport, Duration::ZERO, self.size, Some(start_rate))
        });
        stats.steps = Some(steps);
        stats.knee = Some(knee);
        stats
    }
}
