//! The report as CSV, for spreadsheets.

use protocol::compare::CompareReport;

/// The columns of [`render_csv`], in order.
pub const CSV_HEADER: [&str; 29] = [
    "action",
    "mode",
    "requests",
    "concurrency",
    "payload_bytes",
    "rate",
    "transport",
    "ok",
    "errors",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "rps",
    "elapsed_ms",
    "service_p50_ms",
    "service_p99_ms",
    "late",
    "knee",
    "transport_p50_ms",
    "queue_p50_ms",
    "worker_p50_ms",
    "dependency_p50_ms",
    "first_error",
    "bus",
    "e2e_stored",
    "e2e_missing",
    "e2e_p50_ms",
    "e2e_p99_ms",
];

/// The report as CSV: [`CSV_HEADER`], then one row per result (transport and
/// size), each carrying the run's action, mode, requests and concurrency so
/// rows of several runs can be put together. A cell is empty where the value
/// does not apply: no size asked, `closed` (rate, service times, late),
/// not a sweep or no knee, the parts without a successful call, `queue`
/// outside AMQP, the bus and end-to-end figures outside an event comparison.
pub fn render_csv(report: &CompareReport) -> anyhow::Result<String> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(CSV_HEADER)?;
    let ms = |value: Option<f64>| value.map(|v| format!("{v:.3}")).unwrap_or_default();
    let number = |value: Option<u64>| value.map(|v| v.to_string()).unwrap_or_default();
    for r in &report.results {
        let parts = r.breakdown.as_ref();
        csv.write_record([
            report.action.clone(),
            report.mode.clone(),
            report.requests.to_string(),
            report.concurrency.to_string(),
            number(r.payload_bytes.map(u64::from)),
            number(r.rate.map(u64::from)),
            r.transport.to_string(),
            r.ok.to_string(),
            r.errors.to_string(),
            ms(Some(r.p50_ms)),
            ms(Some(r.p90_ms)),
            ms(Some(r.p99_ms)),
            ms(Some(r.max_ms)),
            format!("{:.1}", r.rps),
            ms(Some(r.elapsed_ms)),
            ms(r.service.map(|s| s.service_p50_ms)),
            ms(r.service.map(|s| s.service_p99_ms)),
            number(r.late),
            number(r.knee.flatten().map(u64::from)),
            ms(parts.map(|b| b.transport.p50_ms)),
            ms(parts.and_then(|b| b.queue).map(|q| q.p50_ms)),
            ms(parts.map(|b| b.worker.p50_ms)),
            ms(parts.map(|b| b.dependency.p50_ms)),
            r.first_error.clone().unwrap_or_default(),
            r.bus.map(|b| b.as_str().to_owned()).unwrap_or_default(),
            number(r.end_to_end.map(|e| e.stored)),
            number(r.end_to_end.map(|e| e.missing)),
            ms(r.end_to_end.map(|e| e.p50_ms)),
            ms(r.end_to_end.map(|e| e.p99_ms)),
        ])?;
    }
    Ok(String::from_utf8(csv.into_inner()?)?)
}
