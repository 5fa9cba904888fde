//! The report as a table for people or as CSV for spreadsheets.

use std::fmt::Write as _;

use protocol::compare::{CompareReport, TransportStats};

fn describe(report: &CompareReport) -> String {
    let sizes: Vec<String> = {
        let mut sizes: Vec<u32> = report
            .results
            .iter()
            .filter_map(|r| r.payload_bytes)
            .collect();
        sizes.dedup();
        sizes.iter().map(u32::to_string).collect()
    };
    let mut line = match report.mode.as_str() {
        "rate" => format!(
            "{} · rate {}/s for {} s per transport (at most {} in flight)",
            report.action,
            report.rate.unwrap_or_default(),
            report.duration_s.unwrap_or_default(),
            report.concurrency
        ),
        "sweep" => format!(
            "{} · sweep from {}/s to at most {}/s, {} s per step, SLO p99 ≤ {} ms",
            report.action,
            report.start_rate.unwrap_or_default(),
            report.max_rate.unwrap_or_default(),
            report.duration_s.unwrap_or_default(),
            report.slo_ms.unwrap_or_default()
        ),
        _ => format!(
            "{} × {} requests, concurrency {}",
            report.action, report.requests, report.concurrency
        ),
    };
    if report.warmup_s > 0.0 {
        let _ = write!(line, ", {} s warm-up", report.warmup_s);
    }
    if !sizes.is_empty() {
        let _ = write!(line, ", sizes {} bytes", sizes.join(", "));
    }
    line
}

/// The report as an aligned text table (a sweep also lists every step).
pub fn render_table(report: &CompareReport) -> String {
    let open = report.mode != "closed";
    let sized = report.results.iter().any(|r| r.payload_bytes.is_some());
    let mut table = describe(report) + "\n\n";
    let mut header = format!("{:<9}", "transport");
    if sized {
        let _ = write!(header, " {:>8}", "bytes");
    }
    let _ = write!(
        header,
        " {:>7} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "ok", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms", "req/s"
    );
    if open {
        let _ = write!(header, " {:>10} {:>6}", "svc p99", "late");
    }
    if report.mode == "sweep" {
        let _ = write!(header, " {:>8}", "knee/s");
    }
    table += header.trim_end();
    table.push('\n');
    for r in &report.results {
        let mut row = format!("{:<9}", r.transport.as_str());
        if sized {
            let _ = write!(row, " {:>8}", r.payload_bytes.unwrap_or_default());
        }
        let _ = write!(
            row,
            " {:>7} {:>7} {:>10.3} {:>10.3} {:>10.3} {:>10.3} {:>10.1}",
            r.ok, r.errors, r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms, r.rps
        );
        if open {
            let service = r.service.map(|s| s.service_p99_ms).unwrap_or_default();
            let _ = write!(row, " {service:>10.3} {:>6}", r.late.unwrap_or_default());
        }
        if report.mode == "sweep" {
            let knee = r
                .knee
                .flatten()
                .map_or("none".to_owned(), |k| k.to_string());
            let _ = write!(row, " {knee:>8}");
        }
        table += &row;
        table.push('\n');
    }
    for r in report.results.iter().filter(|r| r.steps.is_some()) {
        steps(&mut table, r);
    }
    for r in report.results.iter().filter(|r| r.first_error.is_some()) {
        let _ = writeln!(
            table,
            "\n{} first error: {}",
            r.transport,
            r.first_error.as_deref().unwrap_or_default()
        );
    }
    table
}

/// A sweep's steps of one transport.
fn steps(table: &mut String, r: &TransportStats) {
    let size = r
        .payload_bytes
        .map(|b| format!(", {b} bytes"))
        .unwrap_or_default();
    let _ = writeln!(table, "\n{} steps{size}:", r.transport);
    let _ = writeln!(
        table,
        "{:>8} {:>7} {:>7} {:>10} {:>10} {:>10} {:>10} {:>6}  SLO",
        "rate/s", "ok", "errors", "req/s", "p50 ms", "p99 ms", "svc p99", "late"
    );
    for step in r.steps.iter().flatten() {
        let _ = writeln!(
            table,
            "{:>8} {:>7} {:>7} {:>10.1} {:>10.3} {:>10.3} {:>10.3} {:>6}  {}",
            step.rate,
            step.ok,
            step.errors,
            step.rps,
            step.p50_ms,
            step.p99_ms,
            step.service_p99_ms,
            step.late,
            if step.met_slo { "met" } else { "missed" }
        );
    }
}

/// The columns of [`render_csv`], in order.
pub const CSV_HEADER: [&str; 24] = [
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
];

/// The report as CSV: [`CSV_HEADER`], then one row per result (transport and
/// size), each carrying the run's action, mode, requests and concurrency so
/// rows of several runs can be put together. A cell is empty where the value
/// does not apply: no size asked, `closed` (rate, service times, late),
/// not a sweep or no knee, the parts without a successful call, `queue`
/// outside AMQP.
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
        ])?;
    }
    Ok(String::from_utf8(csv.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use protocol::{
        Transport,
        compare::{Breakdown, Percentiles, ServiceTimes, Step, TransportStats},
    };

    use super::*;

    fn stats(transport: Transport, first_error: Option<&str>, queue: bool) -> TransportStats {
        let p = |p50_ms| Percentiles {
            p50_ms,
            p90_ms: p50_ms * 2.0,
            p99_ms: p50_ms * 3.0,
        };
        TransportStats {
            transport,
            ok: 9,
            errors: u64::from(first_error.is_some()),
            p50_ms: 1.25,
            p90_ms: 2.5,
            p99_ms: 4.0,
            max_ms: 5.0,
            rps: 812.34,
            elapsed_ms: 11.0,
            first_error: first_error.map(str::to_owned),
            breakdown: Some(Breakdown {
                transport: p(0.5),
                queue: queue.then(|| p(0.25)),
                worker: p(0.5),
                dependency: p(0.125),
            }),
            payload_bytes: None,
            spectrum: Vec::new(),
            service: None,
            late: None,
            rate: None,
            steps: None,
            knee: None,
        }
    }

    fn report(mode: &str, results: Vec<TransportStats>) -> CompareReport {
        CompareReport {
            action: "log".into(),
            mode: mode.into(),
            requests: 10,
            concurrency: 2,
            warmup_s: 1.0,
            rate: None,
            duration_s: None,
            start_rate: None,
            max_rate: None,
            slo_ms: None,
            results,
        }
    }

    #[test]
    fn the_csv_has_a_header_and_one_row_per_transport_with_quoted_errors() {
        let report = report(
            "closed",
            vec![
                stats(Transport::Http, Some("refused, \"at once\"\nagain"), false),
                stats(Transport::Amqp, None, true),
            ],
        );
        let text = render_csv(&report).expect("written");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().expect("a header"), CSV_HEADER.as_slice());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
        assert_eq!(rows.len(), 2, "{text}");
        let column = |row: &csv::StringRecord, name: &str| {
            let i = CSV_HEADER.iter().position(|h| *h == name).expect(name);
            row[i].to_owned()
        };
        assert_eq!(column(&rows[0], "transport"), "http");
        assert_eq!(column(&rows[0], "errors"), "1");
        assert_eq!(column(&rows[0], "p50_ms"), "1.250");
        assert_eq!(column(&rows[0], "rps"), "812.3");
        assert_eq!(
            column(&rows[0], "queue_p50_ms"),
            "",
            "no queue outside AMQP"
        );
        assert_eq!(
            column(&rows[0], "first_error"),
            "refused, \"at once\"\nagain"
        );
        assert_eq!(column(&rows[1], "transport"), "amqp");
        assert_eq!(column(&rows[1], "queue_p50_ms"), "0.250");
        assert_eq!(column(&rows[1], "dependency_p50_ms"), "0.125");
        assert_eq!(column(&rows[1], "action"), "log");
        for closed_only_empty in ["payload_bytes", "rate", "service_p99_ms", "late", "knee"] {
            assert_eq!(
                column(&rows[1], closed_only_empty),
                "",
                "{closed_only_empty}"
            );
        }
    }

    fn swept(transport: Transport, knee: Option<u32>) -> TransportStats {
        let step = |rate: u32, met_slo: bool| Step {
            rate,
            ok: u64::from(rate),
            errors: 0,
            rps: f64::from(rate),
            p50_ms: 0.5,
            p90_ms: 0.75,
            p99_ms: if met_slo { 1.0 } else { 50.0 },
            max_ms: 60.0,
            service_p50_ms: 0.5,
            service_p99_ms: 0.9,
            late: 3,
            met_slo,
        };
        TransportStats {
            payload_bytes: Some(1024),
            service: Some(ServiceTimes {
                service_p50_ms: 0.5,
                service_p90_ms: 0.75,
                service_p99_ms: 0.875,
                service_max_ms: 2.0,
            }),
            late: Some(3),
            rate: Some(100),
            steps: Some(vec![
                step(50, true),
                step(100, knee == Some(100)),
                step(200, false),
            ]),
            knee: Some(knee),
            ..stats(transport, None, false)
        }
    }

    #[test]
    fn a_sweep_prints_each_knee_and_every_step_and_its_csv_has_them() {
        let mut sweep = report(
            "sweep",
            vec![
                swept(Transport::Grpc, Some(100)),
                swept(Transport::Amqp, None),
            ],
        );
        sweep.start_rate = Some(50);
        sweep.max_rate = Some(400);
        sweep.slo_ms = Some(10.0);
        sweep.duration_s = Some(2);
        let table = render_table(&sweep);
        assert!(
            table.starts_with(
                "log · sweep from 50/s to at most 400/s, 2 s per step, SLO p99 ≤ 10 ms"
            ),
            "{table}"
        );
        let row = |name: &str| {
            table
                .lines()
                .find(|l| l.starts_with(name))
                .unwrap_or_else(|| panic!("{name}: {table}"))
        };
        assert!(
            row("grpc ").trim_end().ends_with(" 100"),
            "the knee: {table}"
        );
        assert!(
            row("amqp ").trim_end().ends_with(" none"),
            "no knee: {table}"
        );
        assert!(table.contains("grpc steps, 1024 bytes:"), "{table}");
        assert_eq!(table.matches("missed").count(), 3, "{table}");

        let text = render_csv(&sweep).expect("written");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
        let column = |row: &csv::StringRecord, name: &str| {
            row[CSV_HEADER.iter().position(|h| *h == name).expect(name)].to_owned()
        };
        assert_eq!(column(&rows[0], "knee"), "100");
        assert_eq!(column(&rows[1], "knee"), "", "no knee");
        assert_eq!(column(&rows[0], "payload_bytes"), "1024");
        assert_eq!(column(&rows[0], "service_p99_ms"), "0.875");
        assert_eq!(column(&rows[0], "late"), "3");
        assert_eq!(column(&rows[0], "mode"), "sweep");
    }
}
