//! What a run records of its calls (HDR histograms at microsecond precision,
//! three significant digits) and the figures it reports from them.

use clients::CallError;
use hdrhistogram::Histogram;
use protocol::{
    ServerTiming, Transport,
    compare::{
        Breakdown, Percentiles, SPECTRUM_PERCENTILES, SPECTRUM_QUANTILES, ServiceTimes,
        SpectrumPoint, Step, TransportStats,
    },
};

use crate::dispatch::Accepted;

/// Longest latency the histograms track: one minute, in microseconds.
pub const MAX_TRACKED_MICROS: u64 = 60_000_000;

/// An empty histogram of latencies in microseconds.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_TRACKED_MICROS, 3)
        .unwrap_or_else(|e| unreachable!("constant histogram bounds are valid: {e}"))
}

fn record(h: &mut Histogram<u64>, micros: u64) {
    h.saturating_record(micros.clamp(1, MAX_TRACKED_MICROS));
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

/// A quantile of `h` in milliseconds (0 when it is empty).
pub fn quantile_ms(h: &Histogram<u64>, q: f64) -> f64 {
    if h.is_empty() {
        0.0
    } else {
        ms(h.value_at_quantile(q))
    }
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
        record(
            &mut self.transport,
            total_us.saturating_sub(server.worker_us + queue),
        );
        record(&mut self.worker, server.worker_us);
        record(&mut self.dependency, server.dependency_us);
        if let Some(queue) = server.queue_us {
            record(&mut self.queue, queue);
        }
    }

    fn breakdown(&self) -> Option<Breakdown> {
        let percentiles = |h: &Histogram<u64>| Percentiles {
            p50_ms: quantile_ms(h, 0.50),
            p90_ms: quantile_ms(h, 0.90),
            p99_ms: quantile_ms(h, 0.99),
        };
        (!self.transport.is_empty()).then(|| Breakdown {
            transport: percentiles(&self.transport),
            queue: (!self.queue.is_empty()).then(|| percentiles(&self.queue)),
            worker: percentiles(&self.worker),
            dependency: percentiles(&self.dependency),
        })
    }
}

/// The calls of one run, as they answer.
pub struct Recorder {
    /// Latency of each successful call: from its send in `closed`, from its
    /// planned send time in `rate`.
    pub latency: Histogram<u64>,
    /// From each call's actual send (`rate`; unused in `closed`).
    service: Histogram<u64>,
    parts: Parts,
    /// Calls that succeeded.
    pub ok: u64,
    /// Calls that failed.
    pub errors: u64,
    /// Calls that left late (`rate`).
    pub late: u64,
    first_error: Option<String>,
}

impl Recorder {
    /// Nothing recorded yet.
    pub fn new() -> Self {
        Self {
            latency: histogram(),
            service: histogram(),
            parts: Parts::new(),
            ok: 0,
            errors: 0,
            late: 0,
            first_error: None,
        }
    }

    /// One call's outcome: `latency_us` as the mode counts it, `service_us` from
    /// its actual send.
    pub fn call(&mut self, result: &Result<Accepted, CallError>, latency_us: u64, service_us: u64) {
        match result {
            Ok(accepted) => {
                record(&mut self.latency, latency_us);
                record(&mut self.service, service_us);
                self.parts.record(service_us, accepted.timing);
                self.ok += 1;
            }
            Err(error) => self.failed(1, || error.to_string()),
        }
    }

    /// `count` calls failed (the first failure's message from `why`).
    pub fn failed(&mut self, count: u64, why: impl FnOnce() -> String) {
        self.errors += count;
        if count > 0 {
            self.first_error.get_or_insert_with(why);
        }
    }

    /// The first failure's message.
    pub fn first_error(&self) -> Option<&str> {
        self.first_error.as_deref()
    }

    fn service_times(&self) -> ServiceTimes {
        ServiceTimes {
            service_p50_ms: quantile_ms(&self.service, 0.50),
            service_p90_ms: quantile_ms(&self.service, 0.90),
            service_p99_ms: quantile_ms(&self.service, 0.99),
            service_max_ms: if self.ok == 0 {
                0.0
            } else {
                ms(self.service.max())
            },
        }
    }

    /// Whether the run's p99 stayed within `slo_ms` and at most 1 % of its
    /// calls failed.
    pub fn met(&self, slo_ms: f64) -> bool {
        let calls = self.ok + self.errors;
        self.ok > 0 && quantile_ms(&self.latency, 0.99) <= slo_ms && self.errors * 100 <= calls
    }

    /// A sweep's step at `rate`, run in `elapsed`.
    pub fn step(&self, rate: u32, elapsed: std::time::Duration, slo_ms: f64) -> Step {
        let service = self.service_times();
        Step {
            rate,
            ok: self.ok,
            errors: self.errors,
            rps: self.ok as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
            p50_ms: quantile_ms(&self.latency, 0.50),
            p90_ms: quantile_ms(&self.latency, 0.90),
            p99_ms: quantile_ms(&self.latency, 0.99),
            max_ms: self.max_ms(),
            service_p50_ms: service.service_p50_ms,
            service_p99_ms: service.service_p99_ms,
            late: self.late,
            met_slo: self.met(slo_ms),
        }
    }

    fn max_ms(&self) -> f64 {
        if self.ok == 0 {
            0.0
        } else {
            ms(self.latency.max())
        }
    }

    /// The figures of a run of `transport` that took `elapsed`; `rate` for an
    /// open loop (which reports its service times and late calls too).
    pub fn stats(
        &self,
        transport: Transport,
        elapsed: std::time::Duration,
        payload_bytes: Option<u32>,
        rate: Option<u32>,
    ) -> TransportStats {
        let spectrum = if self.ok == 0 {
            Vec::new()
        } else {
            SPECTRUM_PERCENTILES
                .iter()
                .zip(SPECTRUM_QUANTILES)
                .map(|(&percentile, quantile)| SpectrumPoint {
                    percentile,
                    ms: quantile_ms(&self.latency, quantile),
                })
                .collect()
        };
        TransportStats {
            transport,
            bus: None,
            end_to_end: None,
            ok: self.ok,
            errors: self.errors,
            p50_ms: quantile_ms(&self.latency, 0.50),
            p90_ms: quantile_ms(&self.latency, 0.90),
            p99_ms: quantile_ms(&self.latency, 0.99),
            max_ms: self.max_ms(),
            rps: self.ok as f64 / elapsed.as_secs_f64().max(f64::EPSILON),
            elapsed_ms: elapsed.as_secs_f64() * 1000.0,
            first_error: self.first_error.clone(),
            breakdown: self.parts.breakdown(),
            payload_bytes,
            spectrum,
            service: rate.map(|_| self.service_times()),
            late: rate.map(|_| self.late),
            rate,
            steps: None,
            knee: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accepted() -> Result<Accepted, CallError> {
        Ok(Accepted {
            message: "pong".into(),
            data: protocol::Data::Ping(None),
            timing: None,
            echo_bytes: None,
        })
    }

    #[test]
    fn the_spectrum_reads_each_percentile_at_its_rank() {
        // 1000 calls of 1 … 1000 ms: p99.9 is the 999th, not the slowest.
        let mut recorder = Recorder::new();
        for ms in 1..=1000 {
            recorder.call(&accepted(), ms * 1000, ms * 1000);
        }
        let stats = recorder.stats(
            Transport::Grpc,
            std::time::Duration::from_secs(1),
            None,
            None,
        );
        let at = |p: f64| {
            stats
                .spectrum
                .iter()
                .find(|s| s.percentile == p)
                .map(|s| s.ms.round())
        };
        assert_eq!(at(50.0), Some(500.0));
        assert_eq!(at(99.0), Some(990.0));
        assert_eq!(at(99.9), Some(999.0), "{:?}", stats.spectrum);
        assert_eq!(at(100.0), Some(1000.0));
    }
}
