//! Bad input is a 400 with the JSON error body; a missing worker is a fast 503.

use std::time::Duration;

use protocol::Worker;
use serde_json::{Value, json};

use crate::helpers::{DISPATCH_TIMEOUT, Stack, TestApp, WorkerAddrs, spawn_logger, timed};

fn assert_error_body(body: &Value) {
    assert_eq!(body["error"], true, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

#[tokio::test]
async fn bad_requests_are_400_with_the_json_error_body() {
    let app = TestApp::spawn_with(Stack::NONE).await;
    let cases: &[(&str, &str)] = &[
        ("malformed JSON", r#"{"action": "log", "log": "#),
        ("not an object", r#"["log"]"#),
        ("empty body", ""),
        ("invalid UTF-8", "\u{0}"),
        ("missing action", r#"{"log": {"name": "n", "data": "d"}}"#),
        ("unknown action", r#"{"action": "dance"}"#),
        (
            "unknown transport",
            r#"{"action": "log", "transport": "carrier-pigeon", "log": {"name": "n", "data": "d"}}"#,
        ),
        (
            "transport of the wrong type",
            r#"{"action": "log", "transport": 4, "log": {"name": "n", "data": "d"}}"#,
        ),
        ("missing log object", r#"{"action": "log"}"#),
        (
            "missing log.data",
            r#"{"action": "log", "log": {"name": "n"}}"#,
        ),
        (
            "log.name of the wrong type",
            r#"{"action": "log", "log": {"name": 1, "data": "d"}}"#,
        ),
        (
            "empty log.name",
            r#"{"action": "log", "log": {"name": " ", "data": "d"}}"#,
        ),
    ];
    for (case, body) in cases {
        for path in ["/handle", "/log-gRPC"] {
            let (status, answer) = app.post_raw(path, *body).await;
            assert_eq!(status, 400, "{case} on {path}: {answer}");
            assert_error_body(&answer);
        }
    }
    let (status, answer) = app.post_raw("/handle", vec![0xff, 0xfe, b'{']).await;
    assert_eq!(status, 400, "{answer}");
    assert_error_body(&answer);
    app.teardown().await;
}

#[tokio::test]
async fn a_body_over_the_limit_is_413() {
    let app = TestApp::spawn_with(Stack::NONE).await;
    let huge = json!({"action": "log", "log": {"name": "n", "data": "x".repeat(2 * 1024 * 1024)}});
    let (status, answer) = app.post_raw("/handle", huge.to_string()).await;
    assert_eq!(status, 413);
    assert_error_body(&answer);
    app.teardown().await;
}

#[tokio::test]
async fn an_unreachable_logger_is_503_within_the_timeout_on_http_rpc_grpc_and_nats() {
    let app = TestApp::spawn_with(Stack::NONE).await;
    for transport in ["http", "rpc", "grpc", "nats"] {
        let ((status, body), took) = timed(app.log(Some(transport), "n", "d")).await;
        assert_eq!(status, 503, "{transport}: {body:?}");
        assert!(body.error);
        assert_eq!(body.transport.map(|t| t.as_str()), Some(transport));
        assert!(took < DISPATCH_TIMEOUT, "{transport} took {took:?}");
    }
    // Twice more on tarpc: a failed connect must not poison later calls.
    let (status, _) = app.log(Some("rpc"), "n", "d").await;
    assert_eq!(status, 503);
    app.teardown().await;
}

#[tokio::test]
async fn amqp_request_reply_without_its_worker_is_503_at_once() {
    // No logger consumes its request queue: the request is unroutable.
    let app = TestApp::spawn_with(Stack::NO_LOGGER).await;
    let ((status, body), took) = timed(app.log(Some("amqp"), "n", "d")).await;
    assert_eq!(status, 503, "{body:?}");
    assert!(took < DISPATCH_TIMEOUT);
    app.teardown().await;
}

#[tokio::test]
async fn a_worker_failing_behind_amqp_is_reported_not_hung() {
    // The logger serves its AMQP queue, but its MongoDB is unreachable: the AMQP
    // call is answered with the worker's failure (503), well within the deadline.
    let app = TestApp::spawn_with(Stack::NO_LOGGER).await;
    let unreachable_mongodb = |settings: &mut logger::Settings| {
        settings.mongo_url = format!("mongodb://127.0.0.1:{}", testkit::closed_port());
        settings.mongo_timeout_ms = 500;
    };
    let any = WorkerAddrs::any(Worker::Logger);
    let (logger, _) = spawn_logger(&app.amqp, &any, unreachable_mongodb).await;

    let ((status, body), took) = timed(app.log(Some("amqp"), "n", "d")).await;
    assert_eq!(status, 503, "{body:?}");
    assert!(took < DISPATCH_TIMEOUT + Duration::from_millis(500));
    logger.stop().await;
    app.teardown().await;
}
