//! `ping`, `POST /compare` and the `broker compare` CLI.

use protocol::{JsonResponse, compare::CompareReport};
use serde_json::json;
use testkit::filter;
use tokio::process::Command;

use crate::helpers::{Stack, TestApp, run_to_success};

#[tokio::test]
async fn ping_travels_over_every_transport() {
    let app = TestApp::spawn().await;
    for transport in protocol::Transport::NAMES {
        let (status, body) = app
            .post_raw(
                "/handle",
                json!({"action": "ping", "transport": transport}).to_string(),
            )
            .await;
        assert_eq!(status, 202, "{transport}: {body}");
        assert_eq!(body["message"], "pong");
        assert_eq!(body["transport"], transport);
    }
    app.teardown().await;
}

async fn compare(app: &TestApp, body: serde_json::Value) -> (u16, JsonResponse<CompareReport>) {
    let (status, answer) = app.post_raw("/compare", body.to_string()).await;
    (
        status,
        serde_json::from_value(answer).expect("contract body"),
    )
}

#[tokio::test]
async fn compare_reports_every_transport() {
    let app = TestApp::spawn().await;
    let (status, answer) = compare(
        &app,
        json!({"action": "ping", "requests": 40, "concurrency": 4}),
    )
    .await;
    assert_eq!(status, 200, "{answer:?}");
    let report = answer.data.expect("a report");
    assert_eq!(
        (report.action.as_str(), report.requests, report.concurrency),
        ("ping", 40, 4)
    );
    let transports: Vec<_> = report
        .results
        .iter()
        .map(|r| r.transport.as_str())
        .collect();
    assert_eq!(transports, protocol::Transport::NAMES);
    for r in &report.results {
        assert_eq!((r.ok, r.errors), (40, 0), "{r:?}");
        assert!(0.0 < r.p50_ms && r.p50_ms <= r.p90_ms, "{r:?}");
        assert!(r.p90_ms <= r.p99_ms && r.p99_ms <= r.max_ms, "{r:?}");
        assert!(r.rps > 0.0 && r.elapsed_ms > 0.0, "{r:?}");
        assert!(r.first_error.is_none());
    }
    app.teardown().await;
}

#[tokio::test]
async fn compare_runs_the_real_call() {
    let app = TestApp::spawn().await;
    let name = testkit::unique_name("compared");
    let (status, answer) = compare(
        &app,
        json!({"action": "log", "log": {"name": name, "data": "x"}, "requests": 15,
               "concurrency": 5, "transports": ["http", "grpc", "amqp"], "warmup": 0}),
    )
    .await;
    assert_eq!(status, 200, "{answer:?}");
    // Every successful call is a stored document: 15 per transport (without
    // a warm-up, whose calls are stored too).
    let stored = app
        .mongo
        .wait_for_logs(
            filter! {"name": &name},
            45,
            std::time::Duration::from_secs(5),
        )
        .await;
    assert_eq!(stored, 45);
    app.teardown().await;
}

#[tokio::test]
async fn compare_counts_failures_instead_of_failing() {
    let app = TestApp::spawn_with(Stack::NONE).await;
    let (status, answer) = compare(
        &app,
        json!({"action": "log", "log": {"name": "n", "data": "d"}, "requests": 5, "transports": ["http", "rpc"]}),
    )
    .await;
    assert_eq!(status, 200, "{answer:?}");
    for r in answer.data.expect("a report").results {
        assert_eq!((r.ok, r.errors), (0, 5), "{r:?}");
        // The warm-up's calls found it first (and opened its circuit).
        assert_eq!(
            r.first_error.as_deref(),
            Some("logger is unreachable (in the warm-up)")
        );
    }
    app.teardown().await;
}

#[tokio::test]
async fn compare_rejects_what_it_cannot_bound() {
    let app = TestApp::spawn_with(Stack::NONE).await;
    for body in [
        json!({"action": "ping", "requests": 1_000_000}),
        json!({"action": "ping", "concurrency": 100_000}),
        json!({"action": "ping", "transports": ["pigeon"]}),
        json!({"action": "log"}),
        json!({"requests": 5}),
    ] {
        let (status, answer) = app.post_raw("/compare", body.to_string()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"], true);
    }
    app.teardown().await;
}

/// The stdout of `broker compare` with `args` (split at blanks), against
/// `app`'s broker (`--url`) when one is given, with `env` added to its
/// environment; it must succeed.
pub async fn broker_compare(app: Option<&TestApp>, args: &str, env: &[(&str, String)]) -> String {
    let mut cli = Command::new(testkit::binary("broker"));
    cli.arg("compare").args(args.split_whitespace());
    cli.envs(env.iter().map(|(name, value)| (name, value)));
    if let Some(app) = app {
        cli.args(["--url", &app.address]);
    }
    run_to_success(&mut cli, "the broker binary runs").await
}

#[tokio::test]
async fn the_cli_prints_the_same_figures_as_a_table() {
    let app = TestApp::spawn().await;
    let args = "--action ping --requests 12 --concurrency 3 --transports grpc,rpc";
    let stdout = broker_compare(Some(&app), args, &[]).await;
    assert!(
        stdout.contains("ping × 12 requests, concurrency 3"),
        "{stdout}"
    );
    let rows: Vec<_> = stdout
        .lines()
        .filter(|l| l.starts_with("grpc") || l.starts_with("rpc"))
        .collect();
    assert_eq!(rows.len(), 2, "{stdout}");
    for row in rows {
        let cells: Vec<_> = row.split_whitespace().collect();
        assert_eq!(cells[1..3], ["12", "0"], "{row}");
    }
    app.teardown().await;
}

#[tokio::test]
async fn the_cli_calls_the_workers_directly_without_the_broker() {
    let app = TestApp::spawn().await;
    let env = [
        ("LOGGER_URL", app.logger_addrs.http.clone()),
        ("LOGGER_RPC_ADDR", app.logger_addrs.rpc.clone()),
        ("LOGGER_GRPC_URL", app.logger_addrs.grpc.clone()),
        ("AMQP_URL", testkit::amqp_url()),
        ("AMQP_NAMESPACE", app.amqp.namespace.clone()),
        ("NATS_URL", testkit::nats::nats_url()),
        ("NATS_NAMESPACE", app.amqp.namespace.clone()),
        // Nothing listens here: a direct run must not need the broker.
        ("BROKER_URL", testkit::http_url(testkit::closed_port())),
    ];
    let args = "--direct --action ping --requests 8 --concurrency 2 --json";
    let stdout = broker_compare(None, args, &env).await;
    let report: CompareReport = serde_json::from_str(&stdout).expect("a JSON report");
    assert_eq!(report.results.len(), protocol::Transport::ALL.len());
    for r in report.results {
        assert_eq!((r.ok, r.errors), (8, 0), "{r:?}");
    }
    app.teardown().await;
}

#[tokio::test]
async fn the_cli_prints_the_same_figures_as_csv() {
    let app = TestApp::spawn().await;
    let args = "--action log --requests 6 --concurrency 2 --transports amqp,grpc --format csv";
    let stdout = broker_compare(Some(&app), args, &[]).await;
    let mut reader = csv::Reader::from_reader(stdout.as_bytes());
    let header = reader.headers().expect("a header row").clone();
    let column = |name: &str| header.iter().position(|h| h == name).expect(name);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    let transports: Vec<_> = rows.iter().map(|r| &r[column("transport")]).collect();
    assert_eq!(transports, ["amqp", "grpc"], "{stdout}");
    for row in &rows {
        assert_eq!(&row[column("action")], "log", "{stdout}");
        assert_eq!((&row[column("ok")], &row[column("errors")]), ("6", "0"));
        let p50: f64 = row[column("p50_ms")].parse().expect("a number");
        let p99: f64 = row[column("p99_ms")].parse().expect("a number");
        assert!(0.0 < p50 && p50 <= p99, "{stdout}");
        let dependency: f64 = row[column("dependency_p50_ms")].parse().expect("a number");
        assert!(dependency >= 0.0, "{stdout}");
    }
    // Only AMQP's calls wait in a queue.
    assert!(!rows[0][column("queue_p50_ms")].is_empty(), "{stdout}");
    assert!(rows[1][column("queue_p50_ms")].is_empty(), "{stdout}");
    app.teardown().await;
}

#[tokio::test]
async fn the_cli_runs_a_sweep_and_prints_each_knee_and_step() {
    let app = TestApp::spawn_with(Stack::NO_LISTENER).await;
    let args = "--action ping --mode sweep --start-rate 20 --max-rate 40 --duration 1 \
                --slo-ms 1000 --warmup 0 --transports rpc,grpc";
    let stdout = broker_compare(Some(&app), args, &[]).await;
    assert!(
        stdout.starts_with("ping · sweep from 20/s to at most 40/s, 1 s per step"),
        "{stdout}"
    );
    for transport in ["rpc", "grpc"] {
        let row = stdout
            .lines()
            .find(|l| l.starts_with(&format!("{transport} ")))
            .unwrap_or_else(|| panic!("{transport}: {stdout}"));
        assert!(row.trim_end().ends_with(" 40"), "the knee: {row}");
        assert!(stdout.contains(&format!("{transport} steps:")), "{stdout}");
    }
    assert_eq!(
        stdout.matches("  met").count(),
        4,
        "two steps each: {stdout}"
    );
    app.teardown().await;
}
