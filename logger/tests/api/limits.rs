//! Hostile clients against the logger's binary (issue 15, finding 1): requests
//! sent all but their last byte and then held, on HTTP, tarpc and gRPC. Before
//! the limits, 100 such requests pinned about 100 MiB until the clients left;
//! now the process's receive budget (32 MiB) bounds what they hold, the rest
//! are refused at once, and the held ones are cut at the receive deadline.

use std::time::Duration;

use testkit::{
    Binary, TestMongo,
    hostile::{assert_within_budget, hold, http_post_one_byte_short, json_error_statuses},
};
use tokio::net::TcpStream;

/// Requests held open at once.
pub const HELD: usize = 100;
/// Each one's size: the largest body a worker accepts (`MAX_BODY_BYTES`).
pub const SIZE: usize = 1024 * 1024;
/// The receive deadline the binary runs with.
pub const DEADLINE: Duration = Duration::from_secs(8);

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

/// What the server sends until it closes the connection: within the deadline
/// and a margin, or `None`.
async fn until_closed(stream: TcpStream) -> Option<String> {
    testkit::hostile::until_closed(stream, DEADLINE + Duration::from_secs(5)).await
}

#[tokio::test]
async fn held_http_bodies_stay_within_the_budget_and_get_a_json_408_at_the_deadline() {
    let (binary, mongo) = logger(&[]).await;
    let idle = binary.anon_rss_bytes();
    let held = hold(binary.http, HELD, || http_post_one_byte_short("/log", SIZE)).await;
    assert_within_budget(&binary, idle, "100 held HTTP bodies").await;

    let answers = futures::future::join_all(held.into_iter().map(until_closed)).await;
    let late = json_error_statuses(&answers, &["408", "503"])[0];
    assert!(late > 0, "the bodies held within the budget get a 408");
    binary.stop().await;
    mongo.drop().await;
}

#[tokio::test]
async fn held_tarpc_frames_stay_within_the_budget_and_are_cut_at_the_deadline() {
    let (binary, mongo) = logger(&[]).await;
    let idle = binary.anon_rss_bytes();
    let held = hold(binary.rpc, HELD, || {
        let mut bytes = u32::try_from(SIZE).expect("fits").to_be_bytes().to_vec();
        bytes.resize(4 + SIZE - 1, 0);
        bytes
    })
    .await;
    assert_within_budget(&binary, idle, "100 held tarpc frames").await;

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
