//! The report as an aligned text table, for people.

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
    let buses = report.results.iter().any(|r| r.bus.is_some());
    let mut header = format!("{:<9}", if buses { "bus" } else { "transport" });
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
    let events = report.results.iter().any(|r| r.end_to_end.is_some());
    if events {
        let _ = write!(
            header,
            " {:>9} {:>10} {:>10}",
            "stored", "e2e p50", "e2e p99"
        );
    }
    table += header.trim_end();
    table.push('\n');
    for r in &report.results {
        let name = r.bus.map_or(r.transport.as_str(), protocol::Bus::as_str);
        let mut row = format!("{name:<9}");
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
        if let Some(e2e) = r.end_to_end {
            let stored = format!("{}/{}", e2e.stored, e2e.stored + e2e.missing);
            let _ = write!(
                row,
                " {stored:>9} {:>10.3} {:>10.3}",
                e2e.p50_ms, e2e.p99_ms
            );
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
