//! The event comparison: the Go original's `log` event published on
//! RabbitMQ's `logs_topic` and on NATS JetStream, each with its publish
//! latency (until the confirm or the ack) and its end-to-end latency (until
//! the logger stored the entry), in closed and rate modes.

use protocol::{Bus, JsonResponse, compare::CompareReport};
use serde_json::{Value, json};

use crate::helpers::{TestApp, says};

async fn compare(app: &TestApp, body: Value) -> CompareReport {
    let (status, answer) = app.post_raw("/compare", body.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    let answer: JsonResponse<CompareReport> = serde_json::from_value(answer).expect("a report");
    let buses = body["buses"].as_array().map_or(0, Vec::len);
    let said = format!("compared the log event over {buses} bus(es)");
    assert!(answer.message.starts_with(&said), "{}", answer.message);
    answer.data.expect("the report")
}

/// Each bus's run: every event published, every one found stored, the
/// end-to-end figures in order and after the publish's.
fn check(report: &CompareReport, events: u64) {
    let buses: Vec<_> = report.results.iter().map(|r| r.bus).collect();
    assert_eq!(buses, [Some(Bus::Rabbitmq), Some(Bus::Nats)]);
    for r in &report.results {
        assert_eq!((r.ok, r.errors), (events, 0), "{r:?}");
        let e2e = r.end_to_end.expect("the end-to-end figures");
        assert_eq!((e2e.stored, e2e.missing), (events, 0), "{r:?}");
        assert!(
            e2e.p50_ms > 0.0 && e2e.p50_ms <= e2e.p99_ms && e2e.p99_ms <= e2e.max_ms,
            "{e2e:?}"
        );
    }
}

#[tokio::test]
async fn events_on_both_buses_are_compared_until_published_and_until_stored() {
    let app = TestApp::spawn().await;
    let log = json!({"name": "events", "data": "compared"});
    let closed = json!({"action": "log", "log": log, "buses": ["rabbitmq", "nats"],
        "requests": 40, "concurrency": 4, "warmup": 0});
    check(&compare(&app, closed).await, 40);
    let rate = json!({"action": "log", "log": log, "buses": ["rabbitmq", "nats"],
        "mode": "rate", "rate": 20, "duration": 2, "warmup": 0});
    let report = compare(&app, rate).await;
    check(&report, 40);
    assert!(
        report.results.iter().all(|r| r.service.is_some()),
        "{report:?}"
    );

    for (body, text) in [
        (json!({"action": "ping", "buses": ["nats"]}), "not ping"),
        (
            json!({"action": "log", "log": log, "buses": ["nats"], "transports": ["http"]}),
            "give one",
        ),
        (
            json!({"action": "log", "log": log, "buses": ["nats"], "mode": "sweep"}),
            "closed or rate",
        ),
        (
            json!({"action": "log", "log": log, "buses": ["nats"], "requests": 5000}),
            "at most",
        ),
    ] {
        let (status, answer) = app.post_raw("/compare", body.to_string()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(says(&answer, text), "{answer}");
    }
    app.teardown().await;
}

#[tokio::test]
async fn the_cli_compares_the_buses_and_prints_the_end_to_end_figures() {
    let app = TestApp::spawn().await;
    let args = "--action log --buses rabbitmq,nats --requests 10 --concurrency 2 --warmup 0";
    let table = crate::compare::broker_compare(Some(&app), args, &[]).await;
    assert!(
        table.contains("e2e p50") && table.contains("e2e p99"),
        "{table}"
    );
    for bus in ["rabbitmq", "nats"] {
        let row = table
            .lines()
            .find(|l| l.starts_with(bus))
            .unwrap_or_default();
        assert!(row.contains("10/10"), "every event stored: {table}");
    }
    let csv =
        crate::compare::broker_compare(Some(&app), &format!("{args} --format csv"), &[]).await;
    assert!(
        csv.lines()
            .next()
            .is_some_and(|h| h.ends_with("bus,e2e_stored,e2e_missing,e2e_p50_ms,e2e_p99_ms")),
        "{csv}"
    );
    app.teardown().await;
}
