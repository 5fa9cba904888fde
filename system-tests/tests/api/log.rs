//! The log action over each transport ends as a document in MongoDB.

use std::time::Duration;

use testkit::{filter, log_filter, unique_name};

use crate::helpers::TestApp;

async fn logs_over(transport: Option<&str>, expected_message: &str) {
    let app = TestApp::spawn().await;
    let name = unique_name("entry");
    let data = format!("sent over {transport:?}");

    let (status, body) = app.log(transport, &name, &data).await;

    assert_eq!(status, 202, "{body:?}");
    assert!(!body.error);
    assert_eq!(body.message, expected_message);
    let named = body.transport.expect("answer names its transport");
    assert_eq!(named.as_str(), transport.unwrap_or("amqp"));
    assert!(body.elapsed_ms.expect("answer carries its time") > 0.0);

    // Stored synchronously on every transport but the default event path, whose
    // listener stores it shortly after.
    let found = app
        .mongo
        .wait_for_logs(log_filter(&name, &data), 1, Duration::from_secs(10))
        .await;
    assert_eq!(found, 1, "exactly one document for the entry");
    let doc = &app.mongo.find_logs(log_filter(&name, &data)).await[0];
    assert!(doc.get_datetime("created_at").is_ok(), "{doc}");
    assert!(doc.get_datetime("updated_at").is_ok(), "{doc}");

    app.teardown().await;
}

#[tokio::test]
async fn log_over_http_is_stored() {
    logs_over(Some("http"), "logged").await;
}

#[tokio::test]
async fn log_over_rpc_is_stored() {
    logs_over(Some("rpc"), "logged").await;
}

#[tokio::test]
async fn log_over_grpc_is_stored() {
    logs_over(Some("grpc"), "logged").await;
}

#[tokio::test]
async fn log_over_amqp_request_reply_is_stored_before_the_answer() {
    let app = TestApp::spawn().await;
    let name = unique_name("entry");

    let (status, body) = app.log(Some("amqp"), &name, "rr").await;

    assert_eq!(status, 202, "{body:?}");
    assert_eq!(body.message, "logged");
    // Request/reply answers with the worker's result: the entry is already stored.
    assert_eq!(app.mongo.find_logs(log_filter(&name, "rr")).await.len(), 1);
    app.teardown().await;
}

#[tokio::test]
async fn log_without_transport_is_the_originals_rabbitmq_event() {
    logs_over(None, "logged via RabbitMQ").await;
}

#[tokio::test]
async fn log_grpc_keeps_the_originals_behaviour() {
    let app = TestApp::spawn().await;
    let name = unique_name("grpc");
    let body = serde_json::json!({"action": "log", "log": {"name": name, "data": "via /log-gRPC"}});

    let (status, answer) = app.post_raw("/log-gRPC", body.to_string()).await;

    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["error"], false);
    assert_eq!(answer["message"], "logged");
    assert_eq!(answer["transport"], "grpc");
    let stored = app.mongo.find_logs(filter! { "name": &name }).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].get_str("data").expect("data"), "via /log-gRPC");
    app.teardown().await;
}

#[tokio::test]
async fn an_entry_larger_than_an_amqp_frame_travels_both_amqp_paths() {
    // The services ask RabbitMQ for small frames (runtime::amqp::DEFAULT_FRAME_MAX)
    // to keep their buffers small; a larger body is split across frames.
    let app = TestApp::spawn().await;
    let data = "x".repeat(40 * runtime::amqp::DEFAULT_FRAME_MAX as usize);

    for transport in [Some("amqp"), None] {
        let name = unique_name("large");
        let (status, body) = app.log(transport, &name, &data).await;
        assert_eq!(status, 202, "{transport:?}: {body:?}");
        let found = app
            .mongo
            .wait_for_logs(log_filter(&name, &data), 1, Duration::from_secs(10))
            .await;
        assert_eq!(found, 1, "{transport:?}: the whole entry is stored");
    }
    app.teardown().await;
}
