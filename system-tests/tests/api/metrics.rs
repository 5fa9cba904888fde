//! `GET /metrics` on every service, read with a Prometheus text parser: each
//! parses, and the broker's and the logger's counters move by exactly the calls
//! made.
//!
//! The recorder is process-wide. Under nextest (the project's runner) each test
//! is a process of its own, so a delta is this test's calls alone and must be
//! exact; run in a shared process (`cargo test`), other tests' calls of the same
//! labels may land in between, and the delta can only be a lower bound.

use std::time::{Duration, Instant};

use prometheus_parse::{Scrape, Value};
use testkit::unique_name;

use crate::helpers::{Stack, TestApp, spawn_page};

/// Calls made per transport.
const CALLS: u32 = 3;

const TRANSPORTS: [&str; 4] = ["http", "amqp", "rpc", "grpc"];

/// `GET {base}/metrics`, checked and parsed.
async fn scrape(client: &reqwest::Client, base: &str) -> Scrape {
    let response = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("the service answers");
    assert_eq!(response.status(), 200, "{base}/metrics");
    let content_type = response.headers()["content-type"].to_str().expect("ASCII");
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{base}: {content_type}"
    );
    let text = response.text().await.expect("a text body");
    let lines = text.lines().map(|line| Ok(line.to_owned()));
    Scrape::parse(lines).expect("Prometheus text format")
}

/// The value of the series `metric` whose labels include `labels` (0 if
/// there is none yet).
fn value(scrape: &Scrape, metric: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == metric)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match s.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
            Value::Histogram(_) | Value::Summary(_) => panic!("{metric} is not a number"),
        })
        .sum()
}

/// Whether this test is alone in its process (see the module docs).
fn alone_in_process() -> bool {
    std::env::var("NEXTEST_EXECUTION_MODE").is_ok_and(|mode| mode == "process-per-test")
}

/// Each call at the broker: counted, and its duration in a histogram.
const BROKER_CALLS: [&str; 2] = [
    "flexi_broker_requests_total",
    "flexi_broker_request_duration_seconds_count",
];
/// Each call at a worker: counted, and its duration in a histogram.
const WORKER_CALLS: [&str; 2] = [
    "flexi_worker_calls_total",
    "flexi_worker_call_duration_seconds_count",
];

/// That each of `metrics`, its series of `labels`, moved by `expected`
/// between two scrapes.
fn assert_moved_by(
    before: &Scrape,
    after: &Scrape,
    metrics: &[&str],
    labels: &[(&str, &str)],
    expected: u32,
) {
    for metric in metrics {
        let moved = value(after, metric, labels) - value(before, metric, labels);
        let expected = f64::from(expected);
        if alone_in_process() {
            assert_eq!(moved, expected, "{metric} {labels:?}");
        } else {
            assert!(moved >= expected, "{metric} {labels:?}: {moved}");
        }
    }
}

#[tokio::test]
async fn metrics_count_every_log_call_once_at_the_broker_and_at_the_logger() {
    let app = TestApp::spawn_with(Stack::NO_LISTENER).await;
    let logger = app.logger_addrs.http.clone();
    for transport in TRANSPORTS {
        let (broker_before, logger_before) = (
            scrape(&app.client, &app.address).await,
            scrape(&app.client, &logger).await,
        );
        for _ in 0..CALLS {
            let (status, body) = app
                .log(Some(transport), &unique_name("metrics"), "counted")
                .await;
            assert_eq!(status, 202, "{transport}: {}", body.message);
        }
        let (broker_after, logger_after) = (
            scrape(&app.client, &app.address).await,
            scrape(&app.client, &logger).await,
        );

        let call = [
            ("action", "log"),
            ("transport", transport),
            ("outcome", "ok"),
        ];
        assert_moved_by(&broker_before, &broker_after, &BROKER_CALLS, &call, CALLS);
        let served = [("worker", "logger"), call[0], call[1], call[2]];
        assert_moved_by(&logger_before, &logger_after, &WORKER_CALLS, &served, CALLS);

        let in_flight = [("transport", transport)];
        let gauge = value(&broker_after, "flexi_broker_calls_in_flight", &in_flight);
        if alone_in_process() {
            assert_eq!(gauge, 0.0, "{transport}: every call has ended");
        }
        let circuit = [("worker", "logger"), ("transport", transport)];
        let open = value(&broker_after, "flexi_broker_circuit_open", &circuit);
        assert_eq!(open, 0.0, "{transport}: the logger's circuit is closed");
    }
    let stored = value(
        &scrape(&app.client, &logger).await,
        "flexi_logger_batch_size_count",
        &[],
    );
    assert!(stored >= 1.0, "the writes were batched and measured");
    app.teardown().await;
}

/// The listener's events, by `outcome`.
const EVENTS: &str = "flexi_listener_events_total";

#[tokio::test]
async fn the_event_path_counts_each_publish_delivery_ack_and_insert() {
    let mut app = TestApp::spawn().await;
    app.start_listener().await;
    let listener = app.listener_health.clone().expect("the listener runs");
    let logger = app.logger_addrs.http.clone();
    let (broker_before, listener_before, logger_before) = (
        scrape(&app.client, &app.address).await,
        scrape(&app.client, &listener).await,
        scrape(&app.client, &logger).await,
    );
    for _ in 0..CALLS {
        let (status, body) = app.log(None, &unique_name("event"), "counted").await;
        assert_eq!(status, 202, "{}", body.message);
    }
    // The listener stores the events after the broker answered: wait for its acks.
    let acked = [("outcome", "acked")];
    let acks_before = value(&listener_before, EVENTS, &acked);
    let deadline = Instant::now() + Duration::from_secs(10);
    let listener_after = loop {
        let after = scrape(&app.client, &listener).await;
        let acks = value(&after, EVENTS, &acked) - acks_before;
        if acks >= f64::from(CALLS) || Instant::now() > deadline {
            break after;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let broker_after = scrape(&app.client, &app.address).await;
    let logger_after = scrape(&app.client, &logger).await;

    let (published, confirmed) = (["flexi_amqp_publishes_total"], [("outcome", "ack")]);
    assert_moved_by(&broker_before, &broker_after, &published, &confirmed, CALLS);
    for outcome in [("outcome", "delivered"), acked[0]] {
        assert_moved_by(
            &listener_before,
            &listener_after,
            &[EVENTS],
            &[outcome],
            CALLS,
        );
    }

    // The logger groups inserts into batches: at least one, at most one per event.
    let ok = [("outcome", "ok")];
    let moved = |metric, labels: &[(&str, &str)]| {
        value(&logger_after, metric, labels) - value(&logger_before, metric, labels)
    };
    let batches = moved("flexi_logger_insert_duration_seconds_count", &ok);
    let stored = moved("flexi_logger_batch_size_sum", &[]);
    assert!(batches >= 1.0, "{batches} batches inserted");
    if alone_in_process() {
        assert!(batches <= f64::from(CALLS), "{batches} batches");
        assert_eq!(stored, f64::from(CALLS), "every event in a batch");
    }
    app.teardown().await;
}

#[tokio::test]
async fn metrics_of_every_service_parse() {
    let mut app = TestApp::spawn().await;
    app.start_listener().await;
    let (page_port, page) = spawn_page(|_| {}).await;
    let page_url = testkit::http_url(page_port);
    let listener = app.listener_health.clone().expect("the listener runs");
    let services = [
        ("broker", app.address.clone()),
        ("logger", app.logger_addrs.http.clone()),
        ("authentication", app.auth_addrs.http.clone()),
        ("mail", app.mail_addrs.http.clone()),
        ("listener", listener),
        ("front-end", page_url),
    ];
    for (service, base) in services {
        let scrape = scrape(&app.client, &base).await;
        // The process-wide recorder holds at least the breakers' gauges.
        assert!(!scrape.samples.is_empty(), "{service}: no series");
    }
    page.stop().await;
    app.teardown().await;
}

/// The front-end's `/metrics` says something of its own: the pages and assets
/// it served, and the process's CPU time and memory (as every service's does).
#[tokio::test]
async fn the_front_end_counts_what_it_served_and_its_process() {
    let (page_port, page) = spawn_page(|_| {}).await;
    let base = testkit::http_url(page_port);
    let client = reqwest::Client::new();
    for path in ["/", "/static/app.js", "/static/app.js"] {
        let status = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("served")
            .status();
        assert_eq!(status, 200, "{path}");
    }
    let scrape = scrape(&client, &base).await;
    let served = |path| value(&scrape, "flexi_front_end_served_total", &[("path", path)]);
    assert!(
        served("/") >= 1.0 && served("/static/app.js") >= 2.0,
        "{:?}",
        scrape.samples
    );
    assert!(value(&scrape, "process_resident_memory_bytes", &[]) > 0.0);
    let named = |metric| scrape.samples.iter().any(|s| s.metric == metric);
    assert!(named("process_cpu_seconds_total") && named("process_open_fds"));
    page.stop().await;
}
