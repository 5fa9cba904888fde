//! `ping` with a payload: the data comes back whole over each of the four
//! transports; a plain ping stays the original's (`GET /ping`, no echo).

use protocol::{Call, Data, PONG, PingPayload};
use serde_json::json;

use crate::helpers::{TIMEOUT, TestLogger};

/// 512 KiB: half of `MAX_BODY_BYTES`, a size a comparison sends.
const HALF_A_MEGABYTE: usize = 512 * 1024;

/// A ping with `bytes` of data (varied, so that a truncated or reordered echo
/// could not pass for the data).
fn ping_of(bytes: usize) -> (Call, String) {
    let data: String = (0..bytes)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let ping = PingPayload { data: data.clone() };
    (Call::Ping { ping: Some(ping) }, data)
}

#[tokio::test]
async fn half_a_megabyte_comes_back_whole_over_every_transport() {
    let app = TestLogger::spawn().await;
    let worker = &app.worker;
    let (http, rpc, grpc) = (
        worker.http_client(TIMEOUT),
        worker.rpc_client(TIMEOUT),
        worker.grpc_client(TIMEOUT),
    );
    let amqp = worker.amqp_client(TIMEOUT).await;
    let (ping, data) = ping_of(HALF_A_MEGABYTE);
    let plain = Call::Ping { ping: None };
    let answers = [
        ("http", http.call(&ping).await, http.call(&plain).await),
        ("rpc", rpc.call(&ping).await, rpc.call(&plain).await),
        ("grpc", grpc.call(&ping).await, grpc.call(&plain).await),
        ("amqp", amqp.call(&ping).await, amqp.call(&plain).await),
    ];
    for (transport, echoed, pong) in answers {
        let echoed = echoed.unwrap_or_else(|e| panic!("{transport}: {e}"));
        assert_eq!(echoed.message, PONG, "{transport}");
        assert!(
            echoed.data == Data::Ping(Some(data.clone())),
            "{transport}: not the data"
        );
        assert_eq!(
            ping.echoed(&echoed),
            Ok(Some(HALF_A_MEGABYTE)),
            "{transport}"
        );
        let pong = pong.unwrap_or_else(|e| panic!("{transport}: {e}"));
        assert_eq!(
            (pong.message.as_str(), pong.data),
            (PONG, Data::Ping(None)),
            "{transport}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn post_ping_echoes_and_get_ping_stays_the_heartbeat() {
    let app = TestLogger::spawn().await;
    let heartbeat = app.get("/ping").await;
    assert_eq!(heartbeat.status().as_u16(), 200);
    assert_eq!(heartbeat.text().await.expect("a body"), ".");

    let post = |body: String| app.post("/ping", body);
    let (status, body) = post(json!({"data": "héllo"}).to_string()).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(
        body,
        json!({"error": false, "message": "pong", "echo": "héllo"})
    );
    for invalid in [json!({"data": 5}), json!({}), json!("x")] {
        let (status, body) = post(invalid.to_string()).await;
        assert_eq!(
            (status, &body["error"]),
            (400, &json!(true)),
            "{invalid}: {body}"
        );
    }
    // Over MAX_BODY_BYTES: refused as any other body.
    let (status, _) = post(json!({"data": "x".repeat(1024 * 1024)}).to_string()).await;
    assert_eq!(status, 413);
    app.stop().await;
}
