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
