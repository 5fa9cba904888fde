//! The table and the CSV of reports made up here.

use protocol::{
    Transport,
    compare::{Breakdown, CompareReport, Percentiles, ServiceTimes, Step, TransportStats},
};

use super::*;

fn stats(transport: Transport, first_error: Option<&str>, queue: bool) -> TransportStats {
    let p = |p50_ms| Percentiles {
        p50_ms,
        p90_ms: p50_ms * 2.0,
        p99_ms: p50_ms * 3.0,
    };
    TransportStats {
        bus: None,
        end_to_end: None,
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
        results,
        ..CompareReport::default()
    }
}

/// The rows of a CSV text whose header is [`CSV_HEADER`].
fn rows(text: &str) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(reader.headers().expect("a header"), CSV_HEADER.as_slice());
    reader.records().map(|r| r.expect("a row")).collect()
}

/// The cell of `row` in the column `name` of [`CSV_HEADER`].
fn column(row: &csv::StringRecord, name: &str) -> String {
    row[CSV_HEADER.iter().position(|h| *h == name).expect(name)].to_owned()
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
    let rows = rows(&text);
    assert_eq!(rows.len(), 2, "{text}");
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
        table.starts_with("log · sweep from 50/s to at most 400/s, 2 s per step, SLO p99 ≤ 10 ms"),
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

    let rows = rows(&render_csv(&sweep).expect("written"));
    assert_eq!(column(&rows[0], "knee"), "100");
    assert_eq!(column(&rows[1], "knee"), "", "no knee");
    assert_eq!(column(&rows[0], "payload_bytes"), "1024");
    assert_eq!(column(&rows[0], "service_p99_ms"), "0.875");
    assert_eq!(column(&rows[0], "late"), "3");
    assert_eq!(column(&rows[0], "mode"), "sweep");
}
