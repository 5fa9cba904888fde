use crate::helpers::{Stack, TestApp};

#[tokio::test]
async fn ping_is_a_heartbeat_and_post_root_hits_the_broker() {
    // Neither call needs a worker.
    let app = TestApp::spawn_with(Stack::NONE).await;

    let ping = app
        .client
        .get(format!("{}/ping", app.address))
        .send()
        .await
        .expect("ping answers");
    assert_eq!(ping.status().as_u16(), 200);

    let (status, body) = app.post_raw("/", "").await;
    assert_eq!(status, 200);
    assert_eq!(
        body,
        serde_json::json!({"error": false, "message": "Hit the broker"})
    );

    app.teardown().await;
}

#[tokio::test]
async fn cors_preflight_is_answered_for_any_origin() {
    let app = TestApp::spawn_with(Stack::NONE).await;
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/handle", app.address))
        .header("origin", "http://localhost:8081")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("preflight answers");
    assert!(response.status().is_success());
    assert_eq!(
        response.headers()["access-control-allow-origin"],
        "http://localhost:8081"
    );
    app.teardown().await;
}

/// A ping may carry data, which the logger echoes back over every transport:
/// the broker checks that the echo is as long as the data (an answer without
/// it is a 502), so a 202 means 512 KiB travelled each way.
#[tokio::test]
async fn a_ping_with_half_a_megabyte_is_echoed_over_every_transport() {
    let app = TestApp::spawn().await;
    let data = "0123456789abcdef".repeat(512 * 1024 / 16);
    for transport in ["http", "amqp", "rpc", "grpc"] {
        let body =
            serde_json::json!({"action": "ping", "transport": transport, "ping": {"data": data}});
        let (status, answer) = app.post_raw("/handle", body.to_string()).await;
        assert_eq!(status, 202, "{transport}: {answer}");
        assert_eq!(answer["message"], "pong", "{transport}");
        assert_eq!(answer["transport"], transport);
        // The echo is checked, not returned.
        assert!(answer.get("echo").is_none(), "{transport}");
    }
    let body = r#"{"action":"ping","ping":{"data":5}}"#;
    let (status, answer) = app.post_raw("/handle", body).await;
    assert_eq!(status, 400, "{answer}");
    let message = answer["message"].as_str().expect("a message");
    assert!(
        message.contains("ping: invalid type: integer `5`, expected a string"),
        "{message}"
    );
    app.teardown().await;
}
