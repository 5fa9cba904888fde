//! Prometheus metrics: one recorder per process behind the `metrics` facade,
//! served as text by every HTTP server's `GET /metrics` (added in
//! [`crate::http::bind_server`]), and the worker-call metrics every worker
//! records the same way on each of its five transports ([`worker_call`]).
//!
//! Names start with `flexi_`, use base units (seconds), counters end in
//! `_total`; label names are the contract's: `action`, `transport`, `outcome`,
//! `worker`.
//!
//! The recorder is process-wide: tests run many services in one process, and
//! they share it (and its series).

mod handles;

pub use handles::Handles;

use std::{
    future::Future,
    sync::OnceLock,
    time::{Duration, Instant},
};

use actix_web::HttpResponse;
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use protocol::{Action, Answer, Transport, Worker, WorkerError};

/// The content type of the Prometheus text exposition format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Buckets of every `_seconds` histogram: 250 µs to 10 s.
pub const LATENCY_BUCKETS: &[f64] = &[
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    10.0,
];

/// Buckets of the size histograms (`flexi_logger_batch_size`): 1 to 1000 items.
pub const SIZE_BUCKETS: &[f64] = &[1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0];

/// How often histogram samples are folded into their buckets when nobody scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// Worker calls, by `worker`, `action`, `transport`, `outcome`.
pub const WORKER_CALLS: &str = "flexi_worker_calls_total";
/// Worker call durations in seconds, same labels as [`WORKER_CALLS`].
pub const WORKER_CALL_DURATION: &str = "flexi_worker_call_duration_seconds";

/// Requests and connections a server refused or cut to hold its limits
/// ([`crate::limits`]), by `reason`: `budget`, `connections`, `receive_deadline`,
/// `idle`.
pub const EDGE_REFUSED: &str = "flexi_edge_refused_total";

/// Counts one refusal of [`EDGE_REFUSED`].
pub fn edge_refused(reason: &'static str) {
    metrics::counter!(EDGE_REFUSED, "reason" => reason).increment(1);
}

/// Env var: `true` turns metrics off (nothing is recorded, `/metrics` is
/// empty); what the benchmark measures their cost against.
pub const ENV_METRICS_DISABLED: &str = "METRICS_DISABLED";

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process's recorder, installed on first use (idempotent: every later
/// call, from any service in the process, gets the same handle).
pub fn handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), LATENCY_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_size".into()), SIZE_BUCKETS));
        let recorder = match builder {
            Ok(builder) => builder.build_recorder(),
            // Not reached: the bucket lists are constants and not empty.
            Err(error) => {
                tracing::error!(%error, "metrics buckets refused; using the defaults");
                PrometheusBuilder::new().build_recorder()
            }
        };
        let handle = recorder.handle();
        if std::env::var(ENV_METRICS_DISABLED).is_ok_and(|v| v.trim() == "true") {
            tracing::info!("metrics disabled: nothing is recorded, /metrics stays empty");
            return handle;
        }
        if let Err(error) = metrics::set_global_recorder(recorder) {
            tracing::error!(%error, "another metrics recorder is installed; /metrics stays empty");
        }
        let upkeep = handle.clone();
        // A thread, not a task: tests start and drop many runtimes in one process.
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "no metrics upkeep thread; histograms fold on scrape only");
        }
        handle
    })
}

/// Installs the recorder (see [`handle`]); what a server calls before it
/// records anything.
pub fn install() {
    handle();
}

/// The process's own series (`process_cpu_seconds_total`,
/// `process_resident_memory_bytes`, `process_open_fds`, `process_threads`,
/// `process_start_time_seconds`, …), described once and read at each scrape.
static PROCESS: OnceLock<metrics_process::Collector> = OnceLock::new();

/// `GET /metrics`: every series of the process in the Prometheus text format,
/// the process's own read now.
pub async fn serve() -> HttpResponse {
    let handle = handle();
    PROCESS
        .get_or_init(|| {
            let collector = metrics_process::Collector::default();
            collector.describe();
            collector
        })
        .collect();
    handle.run_upkeep();
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .body(handle.render())
}

/// The `outcome` label of a worker's answer: `ok`, or the kind of its error.
pub fn outcome<T>(result: &Result<T, WorkerError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(WorkerError::Invalid(_)) => "rejected",
        Err(WorkerError::Unauthorized) => "unauthorized",
        Err(WorkerError::Unavailable(_)) => "unavailable",
        Err(WorkerError::Failed(_)) => "failed",
        Err(WorkerError::Busy(_)) => "busy",
    }
}

/// Runs one call of a worker's `action` that came over `transport` in a span of
/// its own (a child of the transport's server span), and counts and times it
/// ([`WORKER_CALLS`], [`WORKER_CALL_DURATION`]).
pub async fn worker_call(
    worker: Worker,
    action: Action,
    transport: Transport,
    call: impl Future<Output = Result<Answer, WorkerError>>,
) -> Result<Answer, WorkerError> {
    let span = tracing::info_span!(
        target: crate::telemetry::CALL_SPANS,
        "worker call",
        otel.name = action.as_str(),
        worker = worker.name(),
        transport = transport.as_str(),
    );
    let started = Instant::now();
    let result = tracing::Instrument::instrument(call, span).await;
    let labels = [
        worker.name(),
        action.as_str(),
        transport.as_str(),
        outcome(&result),
    ];
    WORKER_CALL_SERIES.with(labels, |(calls, duration)| {
        calls.increment(1);
        duration.record(started.elapsed());
    });
    result
}

/// The handles of [`WORKER_CALLS`] and [`WORKER_CALL_DURATION`].
static WORKER_CALL_SERIES: Handles<(Counter, Histogram), 4> =
    Handles::new(|[worker, action, transport, outcome]| {
        let labels = [
            ("worker", worker),
            ("action", action),
            ("transport", transport),
            ("outcome", outcome),
        ];
        (
            metrics::counter!(WORKER_CALLS, &labels),
            metrics::histogram!(WORKER_CALL_DURATION, &labels),
        )
    });
