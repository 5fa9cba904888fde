//! `POST /compare` cannot take the system down: one comparison at a time (a
//! second one gets a 429 with `Retry-After`), and a comparison whose client
//! left stops.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use testkit::log_filter;

use crate::helpers::{Stack, TestApp};

/// A comparison of `log` that runs until the broker's limit (2 s per
/// transport in tests and a 1 s warm-up each, so up to 3 s per transport)
/// unless stopped, its entries named `name`.
fn long_comparison(name: &str) -> Value {
    json!({"action": "log", "log": {"name": name, "data": "x"},
           "requests": 10_000, "concurrency": 2})
}

const SHORT: &str = r#"{"action":"ping","requests":1,"concurrency":1,"transports":["http"]}"#;

async fn start(app: &TestApp, body: &Value) -> reqwest::Response {
    app.client
        .post(format!("{}/compare", app.address))
        .json(body)
        .send()
        .await
        .expect("the broker answers")
}

#[tokio::test]
async fn a_second_comparison_gets_429_while_one_runs() {
    let app = TestApp::spawn_with(Stack::NO_LISTENER).await;
    let first = start(&app, &long_comparison("compare-limits-429")).await;
    assert_eq!(first.status(), 200, "the running one answers at once");

    let short: Value = serde_json::from_str(SHORT).expect("JSON");
    let second = start(&app, &short).await;
    assert_eq!(second.status(), 429);
    let retry_after: u64 = second
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .expect("a Retry-After in seconds");
    let longest = 3 * protocol::Transport::ALL.len() as u64;
    assert!((1..=longest).contains(&retry_after), "{retry_after}");
    let body: Value = second.json().await.expect("a JSON body");
    assert_eq!(body["error"], true);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("already running"),
        "{body}"
    );

    // The first one finishes with its report (after the spaces that kept its
    // connection written to), and then the slot is free again.
    let text = first.text().await.expect("the report");
    let report: Value = serde_json::from_str(&text).expect("one JSON document");
    assert_eq!(
        report["data"]["results"].as_array().map(Vec::len),
        Some(protocol::Transport::ALL.len()),
        "{report}"
    );
    let (status, body) = app.post_raw("/compare", SHORT).await;
    assert_eq!(status, 200, "{body}");
    app.teardown().await;
}

#[tokio::test]
async fn a_comparison_stops_when_its_client_leaves() {
    let app = TestApp::spawn_with(Stack::NO_LISTENER).await;
    let name = "compare-limits-left";
    let request = app
        .client
        .post(format!("{}/compare", app.address))
        .json(&long_comparison(name));
    // The whole exchange, answer included, in a task the client can give up.
    let client = tokio::spawn(async move { request.send().await?.bytes().await });
    let stored = || async { app.mongo.find_logs(log_filter(name, "x")).await.len() };
    let deadline = Instant::now() + Duration::from_secs(5);
    while stored().await == 0 {
        assert!(Instant::now() < deadline, "the comparison stores entries");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    client.abort(); // the client leaves: its connection closes.

    // Within a second the comparison has stopped: no entry is added any more,
    // and the slot is free for the next comparison.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after_leaving = stored().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        stored().await,
        after_leaving,
        "no call after the client left"
    );
    let (status, body) = app.post_raw("/compare", SHORT).await;
    assert_eq!(status, 200, "{body}");
    app.teardown().await;
}
