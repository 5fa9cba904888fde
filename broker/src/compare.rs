//! The comparison: one call, run N times per transport with a concurrency.
//!
//! Transports run one after the other (so they never compete for the CPU), each
//! with `concurrency` loops pulling from a shared budget of `requests`. Every
//! successful call's latency goes into an HDR histogram (microsecond precision,
//! three significant digits); percentiles and the maximum come from it, throughput
//! from the wall-clock time of the run. A run stops issuing calls after
//! `max_duration`, and reports what it finished.

use std::{
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use protocol::{
    Dispatch, ServerTiming, Transport,
    compare::{Breakdown, CompareReport, Comparison, Percentiles, TransportStats},
};

use crate::dispatch::Dispatcher;

/// Longest latency the histograms track: one minute, in microseconds.
const MAX_TRACKED_MICROS: u64 = 60_000_000;

/// Runs every transport of the comparison, in order.
pub async fn run(
    dispatcher: &Dispatcher,
    comparison: &Comparison,
    max_duration: Duration,
) -> CompareReport {
    let mut results = Vec::with_capacity(comparison.transports.len());
    for &transport in &comparison.transports {
        results.push(run_transport(dispatcher, comparison, transport, max_duration).await);
    }
    CompareReport {
        action: comparison.call.action().to_owned(),
        requests: comparison.requests,
        concurrency: comparison.concurrency,
        results,
    }
}

struct LoopResult {
    histogram: Histogram<u64>,
    parts: Parts,
    ok: u64,
    errors: u64,
    first_error: Option<String>,
}

fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_MICROS, 3)
        .unwrap_or_else(|e| unreachable!("constant histogram bounds are valid: {e}"))
}

/// One histogram per part of the calls' time (see [`protocol::Timing`]), in µs.
struct Parts {
    transport: Histogram<u64>,
    queue: Histogram<u64>,
    worker: Histogram<u64>,
    dependency: Histogram<u64>,
}

impl Parts {
    fn new() -> Self {
        Self {
            transport: histogram(),
            queue: histogram(),
            worker: histogram(),
            dependency: histogram(),
        }
    }

    fn record(&mut self, total_us: u64, server: Option<ServerTiming>) {
        let server = server.unwrap_or_default();
        let queue = server.queue_us.unwrap_or(0);
        let transport = total_us.saturating_sub(server.worker_us + queue);
        let record =
            |h: &mut Histogram<u64>, us: u64| h.saturating_record(us.min(MAX_TRACKED_MICROS));
        record(&mut self.transport, transport);
        record(&mut self.worker, server.worker_us);
        record(&mut self.dependency, server.dependency_us);
        if let Some(queue) = server.queue_us {
            record(&mut self.queue, queue);
        }
    }

    fn add(&mut self, other: &Parts) {
        let _ = self.transport.add(&other.transport);
        let _ = self.queue.add(&other.queue);
        let _ = self.worker.add(&other.worker);
        let _ = self.dependency.add(&other.dependency);
    }

    fn breakdown(&self) -> Option<Breakdown> {
        let percentiles = |h: &Histogram<u64>| Percentiles {
            p50_ms: h.value_at_quantile(0.50) as f64 / 1000.0,
            p90_ms: h.value_at_quantile(0.90) as f64 / 1000.0,
            p99_ms: h.value_at_quantile(0.99) as f64 / 1000.0,
        };
        (!self.transport.is_empty()).then(|| Breakdown {
            transport: percentiles(&self.transport),
            queue: (!self.queue.is_empty()).then(|| percentiles(&self.queue)),
            worker: percentiles(&self.worker),
            dependency: percentiles(&self.dependency),
        })
    }
}

async fn run_transport(
    dispatcher: &Dispatcher,
    comparison: &Comparison,
    transport: Transport,
    max_duration: Duration,
) -> TransportStats {
    let dispatch = Dispatch {
        transport: Some(transport),
        call: comparison.call.clone(),
    };
    let budget = AtomicU32::new(comparison.requests);
    let started = Instant::now();
    let deadline = started + max_duration;
    let take = || {
        Instant::now() < deadline
            && budget
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok()
    };
    let loops = (0..comparison.concurrency).map(|_| async {
        let mut result = LoopResult {
            histogram: histogram(),
            parts: Parts::new(),
            ok: 0,
            errors: 0,
            first_error: None,
        };
        while take() {
            let dispatched = dispatcher.dispatch(&dispatch).await;
            match dispatched.result {
                Ok(accepted) => {
                    let micros = runtime::timing::micros(dispatched.elapsed);
                    let clamped = micros.clamp(1, MAX_TRACKED_MICROS);
                    result.histogram.saturating_record(clamped);
                    result.parts.record(micros, accepted.timing);
                    result.ok += 1;
                }
                Err(error) => {
                    result.errors += 1;
                    result.first_error.get_or_insert_with(|| error.to_string());
                }
            }
        }
        result
    });
    let loops = futures::future::join_all(loops).await;
    let elapsed = started.elapsed();

    let mut merged = histogram();
    let mut parts = Parts::new();
    let (mut ok, mut errors, mut first_error) = (0, 0, None);
    for result in loops {
        let _ = merged.add(&result.histogram);
        parts.add(&result.parts);
        ok += result.ok;
        errors += result.errors;
        first_error = first_error.or(result.first_error);
    }
    let ms = |micros: u64| micros as f64 / 1000.0;
    let percentile = |q: f64| {
        if ok == 0 {
            0.0
        } else {
            ms(merged.value_at_quantile(q))
        }
    };
    let stats = TransportStats {
        transport,
        ok,
        errors,
        p50_ms: percentile(0.50),
        p90_ms: percentile(0.90),
        p99_ms: percentile(0.99),
        max_ms: if ok == 0 { 0.0 } else { ms(merged.max()) },
        rps: ok as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
        elapsed_ms: elapsed.as_secs_f64() * 1000.0,
        first_error,
        breakdown: parts.breakdown(),
    };
    tracing::info!(%transport, ok, errors, p50_ms = stats.p50_ms, p99_ms = stats.p99_ms, rps = stats.rps, "compared");
    stats
}
