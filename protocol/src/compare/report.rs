//! What `POST /compare` answers in `data`, and what its stream sends while it runs.

use serde::{Deserialize, Serialize};

use crate::{Bus, Transport};

/// The percentiles of a result's [`TransportStats::spectrum`], from the median to
/// the slowest call (100).
pub const SPECTRUM_PERCENTILES: [f64; 10] = [
    50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 100.0,
];

/// The same as quantiles, written out: `99.9 / 100.0` is 0.9990000000000001,
/// one rank too high for a histogram that rounds `q × n` up.
pub const SPECTRUM_QUANTILES: [f64; 10] = [
    0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 1.0,
];

/// One point of a latency distribution.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpectrumPoint {
    /// The percentile (50 … 100; 100 is the slowest call).
    pub percentile: f64,
    /// The latency at it, in milliseconds.
    pub ms: f64,
}

/// One transport's figures (for one message size); a field that does not
/// apply (`None`) is left out.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransportStats {
    /// The transport (an event comparison's: its bus's).
    pub transport: Transport,
    /// An event comparison's bus; then the latencies above are the publish's
    /// (until RabbitMQ's confirm or JetStream's ack) and `end_to_end` says
    /// when the events were stored.
    pub bus: Option<Bus>,
    /// An event comparison's time from each event's publish to its insert by
    /// the logger.
    pub end_to_end: Option<EndToEnd>,
    /// Calls that succeeded.
    pub ok: u64,
    /// Calls that failed (in `rate` and `sweep`, also the planned calls that had
    /// not left by the end of the run).
    pub errors: u64,
    /// Median latency of the successful calls, in milliseconds (in `rate` and
    /// `sweep`: from each call's planned send time).
    pub p50_ms: f64,
    /// 90th percentile, in milliseconds.
    pub p90_ms: f64,
    /// 99th percentile, in milliseconds.
    pub p99_ms: f64,
    /// Slowest successful call, in milliseconds.
    pub max_ms: f64,
    /// Successful calls per second of wall-clock time.
    pub rps: f64,
    /// Wall-clock time of this transport's run, in milliseconds.
    pub elapsed_ms: f64,
    /// The first failure's message, when there were failures.
    pub first_error: Option<String>,
    /// Where the successful calls' time went, part by part (see
    /// [`crate::Timing`]); absent when no call succeeded.
    pub breakdown: Option<Breakdown>,
    /// The size of the message, when the comparison named one.
    pub payload_bytes: Option<u32>,
    /// The latency distribution, at [`SPECTRUM_PERCENTILES`] (empty when no call
    /// succeeded).
    #[serde(default)]
    pub spectrum: Vec<SpectrumPoint>,
    /// `rate` and `sweep`: the service times (from each call's actual send).
    #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceTimes>,
    /// `rate` and `sweep`: calls that left more than [`LATE_AFTER_MS`] after
    /// their planned time.
    pub late: Option<u64>,
    /// `rate` and `sweep`: the planned calls per second.
    pub rate: Option<u32>,
    /// `sweep`: every step, in order.
    pub steps: Option<Vec<Step>>,
    /// `sweep`: the highest rate whose step met the SLO (`null`: none did). The
    /// figures above are that step's (the first step's when there is no knee).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub knee: Option<Option<u32>>,
}

/// A field that is there, `null` or not: `Some(None)` for `null` (serde's
/// default reads it as absent).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<u32>>, D::Error> {
    Option::<u32>::deserialize(d).map(Some)
}

/// When an event comparison's events were stored: from each event's publish
/// (its planned time in `rate`) to the logger's insert (the entry's
/// `created_at`), in milliseconds; the broker's and the logger's clocks
/// (one machine's on the local stack), at the millisecond `created_at` has.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EndToEnd {
    /// Events answered 202 whose entry was found.
    pub stored: u64,
    /// Events answered 202 whose entry was not found within the wait.
    pub missing: u64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// A call that leaves later than this after its planned time is counted `late`.
pub const LATE_AFTER_MS: f64 = 1.0;

/// Latencies counted from each call's actual send, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ServiceTimes {
    /// Median.
    pub service_p50_ms: f64,
    /// 90th percentile.
    pub service_p90_ms: f64,
    /// 99th percentile.
    pub service_p99_ms: f64,
    /// Slowest.
    pub service_max_ms: f64,
}

/// One step of a sweep: a `rate` run at one rate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The planned calls per second.
    pub rate: u32,
    /// Calls that succeeded.
    pub ok: u64,
    /// Calls that failed or had not left by the end of the step.
    pub errors: u64,
    /// Successful calls per second of the step's wall-clock time.
    pub rps: f64,
    /// Median latency from the planned send time, in milliseconds.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Slowest.
    pub max_ms: f64,
    /// Median latency from the actual send.
    pub service_p50_ms: f64,
    /// 99th percentile from the actual send.
    pub service_p99_ms: f64,
    /// Calls that left late.
    pub late: u64,
    /// Whether the step's p99 was within the SLO and at most 1 % of its calls failed.
    pub met_slo: bool,
}

/// Three percentiles of one part of the calls' time, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
}

/// Percentiles of each part of a transport's calls (`queue` only where there
/// is one).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// The wire both ways, serialization, connections and the broker's cost.
    pub transport: Percentiles,
    /// Waiting in RabbitMQ (AMQP only).
    pub queue: Option<Percentiles>,
    /// The worker's handling.
    pub worker: Percentiles,
    /// The part of the worker's handling spent in its dependency.
    pub dependency: Percentiles,
}

/// What `POST /compare` answers in `data`; the fields of other modes (`None`)
/// are left out. (`Default`: none of a mode's fields, to fill in the rest of.)
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CompareReport {
    /// The action that was repeated.
    pub action: String,
    /// `closed`, `rate` or `sweep`.
    #[serde(default = "closed")]
    pub mode: String,
    /// Calls planned per transport and size (`closed`: `requests`; `rate`: rate ×
    /// duration; `sweep`: the most its steps may plan).
    pub requests: u32,
    /// `closed`: calls in flight at once; `rate` and `sweep`: the most in flight.
    pub concurrency: u32,
    /// The warm-up before each transport's run, in seconds.
    #[serde(default)]
    pub warmup_s: f64,
    /// `rate`: the planned calls per second.
    pub rate: Option<u32>,
    /// `rate`: the length of each run; `sweep`: of each step; in seconds.
    pub duration_s: Option<u32>,
    /// `sweep`: the first step's rate.
    pub start_rate: Option<u32>,
    /// `sweep`: the highest rate a step may have.
    pub max_rate: Option<u32>,
    /// `sweep`: the p99 a step must stay within, in milliseconds.
    pub slo_ms: Option<f64>,
    /// One entry per message size and transport: sizes outer, transports inner,
    /// in the order asked.
    pub results: Vec<TransportStats>,
}

fn closed() -> String {
    "closed".to_owned()
}

/// What a streamed comparison (`Accept: text/event-stream`) reports about
/// every second of a run: the `progress` event's data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    /// The transport running.
    pub transport: Transport,
    /// Its message size, when the comparison named one.
    pub payload_bytes: Option<u32>,
    /// The planned rate (`rate`, `sweep`), `None` in `closed`.
    pub rate: Option<u32>,
    /// `warmup` (not counted) or `measure`.
    pub phase: Phase,
    /// Seconds since this phase began.
    pub elapsed_s: f64,
    /// Calls answered so far in this phase.
    pub calls: u64,
    /// Of which failed.
    pub errors: u64,
    /// Median latency so far, in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile so far, in milliseconds.
    pub p99_ms: f64,
    /// Calls answered per second since the previous `progress`.
    pub rps: f64,
}

/// The part of a transport's run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// Calls that make connections and warm caches, not counted.
    Warmup,
    /// The calls counted.
    Measure,
}

/// The `step` event's data: a sweep's step just ended.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepEvent {
    /// The transport swept.
    pub transport: Transport,
    /// Its message size, when the comparison named one.
    pub payload_bytes: Option<u32>,
    /// The step.
    pub step: Step,
}
