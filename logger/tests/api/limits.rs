//! Hostile clients against the logger's binary (issue 15, finding 1): requests
//! sent all but their last byte and then held, on HTTP, tarpc and gRPC. Before
//! the limits, 100 such requests pinned about 100 MiB until the clients left;
//! now the process's receive budget (32 MiB) bounds what they hold, the rest
//! are refused at once, and the held ones are cut at the receive deadline.

use std::time::Duration;

use testkit::{Binary, TestMongo};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinSet,
};

/// Requests held open at once.
pub const HELD: usize = 100;
/// Each one's size: the largest body a worker accepts (`MAX_BODY_BYTES`).
pub const SIZE: usize = 1024 * 1024;
/// The receive deadline the binary runs with.
pub const DEADLINE: Duration = Duration::from_secs(3);
/// What a service may hold above its idle memory, whatever clients hold open.
const MEMORY_BUDGET: u64 = 64 * 1024 * 1024;

/// The logger's binary with the test's deadline and `env`, on a database of its
/// own.
pub async fn logger(env: &[(&str, &str)]) -> (Binary, TestMongo) {
    let mongo = TestMongo::new().await;
    let mut all = vec![
        ("MONGO_URL", testkit::mongo_url()),
        ("MONGO_DATABASE", mongo.name.clone()),
        ("RECEIVE_TIMEOUT_MS", DEADLINE.as_millis().to_string()),
    ];
    all.extend(env.iter().map(|(k, v)| (*k, (*v).to_owned())));
    let binary = Binary::start(env!("CARGO_BIN_EXE_logger"), &all, "/health").await;
    (binary, mongo)
}

/// Opens `HELD` connections to `port` at once, each sending `request(i)` (all
/// of a request but its last byte; a write the server cut short is fine), and
/// returns them once every one has sent what it could.
async fn hold(port: u16, request: impl Fn() -> Vec<u8>) -> Vec<TcpStream> {
    let mut sending = JoinSet::new();
    for _ in 0..HELD {
        let bytes = request();
        sending.spawn(async move {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
            let _ = stream.write_all(&bytes).await;
            Some(stream)
        });
    }
    sending.join_all().await.into_iter().flatten().collect()
}

/// Asserts what the held requests added to `binary`'s memory stays within the
/// budget, a moment after they were sent.
pub async fn assert_within_budget(binary: &Binary, idle: u64, what: &str) {
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held = binary.rss_bytes().saturating_sub(idle);
    eprintln!("{HELD} held {what}: {} MiB above idle", held >> 20);
    assert!(
        held < MEMORY_BUDGET,
        "{HELD} held {what} added {} MiB (budget {} MiB)",
        held >> 20,
        MEMORY_BUDGET >> 20
    );
}

/// Reads what the server sends until it closes the connection, within the
/// deadline and a margin; `None` if it kept the connection open.
async fn until_closed(mut stream: TcpStream) -> Option<String> {
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    match tokio::time::timeout(DEADLINE + Duration::from_secs(5), read).await {
        Err(_) => None,
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
    }
}

#[tokio::test]
async fn held_http_bodies_stay_within_the_budget_and_get_a_json_408_at_the_deadline() {
    let (binary, mongo) = logger(&[]).await;
    let idle = binary.rss_bytes();
    let held = hold(binary.http, || {
        let head = format!(
            "POST /log HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
             Content-Length: {SIZE}\r\n\r\n"
        );
        let mut bytes = head.into_bytes();
        bytes.resize(bytes.len() + SIZE - 1, b' ');
        bytes
    })
    .await;
    assert_within_budget(&binary, idle, "HTTP bodies").await;

    let answers = futures::future::join_all(held.into_iter().map(until_closed)).await;
    let mut late = 0;
    for answer in answers {
        let answer = answer.expect("every connection is answered and closed");
        if answer.is_empty() {
            continue; // refused at once: the reset may outrun the 503
        }
        let status = &answer[9..12];
        assert!(status == "408" || status == "503", "{answer:.200}");
        let (_, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
        let json: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
        assert_eq!(json["error"], true, "{body}");
        late += usize::from(status == "408");
    }
    assert!(late > 0, "the bodies held within the budget get a 408");
    binary.stop().await;
    mongo.drop().await;
}

#[tokio::test]
async fn held_tarpc_frames_stay_within_the_budget_and_are_cut_at_the_deadline() {
    let (binary, mongo) = logger(&[]).await;
    let idle = binary.rss_bytes();
    let held = hold(binary.rpc, || {
        let mut bytes = u32::try_from(SIZE).expect("fits").to_be_bytes().to_vec();
        bytes.resize(4 + SIZE - 1, 0);
        bytes
    })
    .await;
    assert_within_budget(&binary, idle, "tarpc frames").await;

    let closed = futures::future::join_all(held.into_iter().map(until_closed)).await;
    assert!(
        closed.iter().all(Option::is_some),
        "every held frame's connection is closed"
    );
    binary.stop().await;
    mongo.drop().await;
}

#[tokio::test]
async fn idle_connections_are_closed_and_extra_ones_refused_at_once() {
    let (binary, mongo) = logger(&[("IDLE_TIMEOUT_SECS", "2"), ("MAX_CONNECTIONS", "4")]).await;
    for port in [binary.rpc, binary.grpc] {
        let mut open = Vec::new();
        for _ in 0..4 {
            open.push(
                TcpStream::connect(("127.0.0.1", port))
                    .await
                    .expect("connect"),
            );
        }
        let started = tokio::time::Instant::now();
        let extra = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        until_closed(extra)
            .await
            .expect("the fifth connection is closed");
        let waited = started.elapsed();
        assert!(
            waited < Duration::from_millis(1500),
            "at once, not when idle: {waited:?}"
        );
        for connection in open {
            until_closed(connection)
                .await
                .expect("an idle connection is closed");
        }
        // Their places are free again.
        let again = TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        tokio::time::sleep(Duration::from_millis(200)).await;
        // Not closed: tarpc waits for a request, gRPC sends its settings.
        let read = again.try_read(&mut [0; 1]).map_err(|e| e.kind());
        assert_ne!(read, Ok(0), "a new connection is served on {port}");
    }
    binary.stop().await;
    mongo.drop().await;
}
