//! Hostile clients over gRPC (issue 15, finding 1): 100 calls whose message is
//! sent all but its last byte and then held. Before the limits they pinned about
//! 100 MiB; now the receive budget bounds them (`RESOURCE_EXHAUSTED` past it)
//! and the held ones end at the receive deadline (`DEADLINE_EXCEEDED`). A
//! message that is not protobuf is the caller's error: `INVALID_ARGUMENT`.

use bytes::Bytes;
use tokio::{net::TcpStream, task::JoinSet};

use testkit::hostile::assert_within_budget;

use super::limits::{DEADLINE, HELD, SIZE, logger};

/// `grpc-status` codes.
const INVALID_ARGUMENT: &str = "3";
const DEADLINE_EXCEEDED: &str = "4";
const RESOURCE_EXHAUSTED: &str = "8";

/// One gRPC call of `WriteLog` on a connection of its own, sending `message`
/// framed (its declared length is `declared`), the stream left open unless
/// `end`. Returns the answer's `grpc-status` (from its headers or trailers)
/// and the connection, kept open.
async fn call(port: u16, declared: usize, message: Bytes, end: bool) -> Option<String> {
    let tcp = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
    let (client, connection) = h2::client::handshake(tcp).await.ok()?;
    tokio::spawn(connection);
    let mut client = client.ready().await.ok()?;
    let request = http::Request::post(format!("http://127.0.0.1:{port}/logs.LogService/WriteLog"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .body(())
        .expect("a request");
    let (answer, mut stream) = client.send_request(request, false).ok()?;
    let mut framed = vec![0];
    framed.extend_from_slice(&u32::try_from(declared).expect("fits").to_be_bytes());
    framed.extend_from_slice(&message);
    let _ = stream.send_data(Bytes::from(framed), end);
    let wait = DEADLINE + std::time::Duration::from_secs(5);
    let answer = tokio::time::timeout(wait, answer).await.ok()?.ok()?;
    let status = |map: &http::HeaderMap| {
        map.get("grpc-status")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    if let Some(code) = status(answer.headers()) {
        return Some(code);
    }
    let mut body = answer.into_body();
    let trailers = tokio::time::timeout(wait, body.trailers())
        .await
        .ok()?
        .ok()??;
    status(&trailers)
}

#[tokio::test]
async fn held_grpc_messages_stay_within_the_budget_and_end_at_the_deadline() {
    let (binary, mongo) = logger(&[]).await;
    let idle = binary.anon_rss_bytes();
    let port = binary.grpc;
    // The declared message fits MAX_BODY_BYTES with its 5-byte frame header.
    let declared = SIZE - 64;
    let mut calls = JoinSet::new();
    for _ in 0..HELD {
        let message = Bytes::from(vec![0x0a; declared - 1]);
        calls.spawn(call(port, declared, message, false));
    }
    // Give every call time to send what it holds, then measure.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_within_budget(&binary, idle, "100 held gRPC messages").await;
    let codes = calls.join_all().await;
    let late = codes
        .iter()
        .filter(|c| c.as_deref() == Some(DEADLINE_EXCEEDED));
    let late = late.count();
    for code in &codes {
        let code = code.as_deref();
        assert!(
            code == Some(DEADLINE_EXCEEDED) || code == Some(RESOURCE_EXHAUSTED),
            "every held call ends, at the deadline or refused: {code:?}"
        );
    }
    assert!(
        late > 0,
        "the calls held within the budget end at the deadline"
    );
    binary.stop().await;
    mongo.drop().await;
}

#[tokio::test]
async fn a_message_that_is_not_protobuf_is_an_invalid_argument() {
    let (binary, mongo) = logger(&[]).await;
    // Field 1 as a length-delimited value 100 bytes long, with 2 bytes after it.
    let garbage = Bytes::from_static(&[0x0a, 100, b'x', b'y']);
    let code = call(binary.grpc, garbage.len(), garbage, true).await;
    assert_eq!(code.as_deref(), Some(INVALID_ARGUMENT));
    binary.stop().await;
    mongo.drop().await;
}
