//! Sending: every transport delivers to the catcher; an unreachable SMTP
//! server is a transient failure.

use std::time::Duration;

use clients::CallError;
use protocol::WorkerError;
use serde_json::json;
use testkit::{MailCatcher, closed_port, unique_name};

use crate::helpers::{mail, spawn};

/// Sends a mail to a fresh address over `client`, checks the answer, and
/// returns the address.
async fn send_over(transport: &str, client: &testkit::TestClient) -> String {
    let to = format!("{}@example.com", unique_name(transport));
    assert_eq!(
        client.call(&mail(&to)).await.map(|a| a.message),
        Ok(format!("sent to {to}"))
    );
    to
}

#[tokio::test]
async fn every_transport_delivers_to_the_catcher() {
    let app = spawn(|_| {}).await;
    let timeout = Duration::from_secs(3);
    let catcher = MailCatcher::new();

    let to_http = format!("{}@example.com", unique_name("http"));
    let response = reqwest::Client::new()
        .post(format!("{}/send", app.addrs.http))
        .json(&json!({"to": to_http, "subject": "direct", "message": "hi"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 202);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["message"], format!("sent to {to_http}"));

    let to_rpc = send_over("rpc", &app.rpc_client(timeout)).await;
    let to_grpc = send_over("grpc", &app.grpc_client(timeout)).await;
    let to_amqp = send_over("amqp", &app.amqp_client(timeout).await).await;

    for to in [&to_http, &to_rpc, &to_grpc, &to_amqp] {
        let caught = catcher.wait_for(to, timeout).await.expect("caught");
        assert_eq!(caught.from[0].address, "flexiconnect@example.com");
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_unavailable_not_failed() {
    let app = spawn(|s| s.mail_port = closed_port()).await;
    let rpc = app.rpc_client(Duration::from_secs(3));
    let result = rpc.call(&mail("you@example.com")).await;
    assert!(
        matches!(result, Err(CallError::Worker(WorkerError::Unavailable(_)))),
        "{result:?}"
    );
    app.stop().await;
}
