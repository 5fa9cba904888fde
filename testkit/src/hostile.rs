//! What a hostile client does to a service's binary ([`crate::Binary`]): holds
//! many requests open, each sent all but its last byte, and watches the
//! service's memory and when it closes them.

use std::time::Duration;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinSet,
};

use crate::Binary;

/// What a service may hold above its idle memory, whatever clients hold open.
pub const MEMORY_BUDGET: u64 = 64 * 1024 * 1024;

/// Opens `count` connections to `port` at once, each sending `request()` (all
/// of a request but its last byte; a write the server cut short is fine), and
/// returns them once every one has sent what it could.
pub async fn hold(port: u16, count: usize, request: impl Fn() -> Vec<u8>) -> Vec<TcpStream> {
    let mut sending = JoinSet::new();
    for _ in 0..count {
        let bytes = request();
        sending.spawn(async move {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
            let _ = stream.write_all(&bytes).await;
            Some(stream)
        });
    }
    sending.join_all().await.into_iter().flatten().collect()
}

/// A POST of `path` declaring a JSON body of `size` bytes, sent one byte short.
pub fn http_post_one_byte_short(path: &str, size: usize) -> Vec<u8> {
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n\
         Content-Length: {size}\r\n\r\n"
    );
    let mut bytes = head.into_bytes();
    bytes.resize(bytes.len() + size - 1, b' ');
    bytes
}

/// How long after the requests were sent [`assert_within_budget`] starts
/// reading memory, and how long it goes on: the caller's receive deadline must
/// come after both (held requests are freed at the deadline).
pub const MEASURED_FROM: Duration = Duration::from_secs(1);
/// See [`MEASURED_FROM`].
pub const MEASURED_FOR: Duration = Duration::from_secs(3);

/// Asserts that what `what` holds stays within [`MEMORY_BUDGET`] of `binary`'s
/// anonymous memory above `idle` while it is held, and prints the figures.
///
/// Memory is read every 100 ms over [`MEASURED_FOR`], from [`MEASURED_FROM`]
/// after the requests were sent, and the least reading counts: what the held
/// requests pin is there at every reading, while what the refused ones had
/// buffered is transient (their bytes are still read off the socket and
/// dropped, and jemalloc hands freed pages back after 1 s,
/// `.cargo/config.toml`). A single reading at a fixed time counted that
/// transient too, more of it the busier the machine: 69 MiB once in CI against
/// 39 MiB at rest for the broker's 400 held bodies.
pub async fn assert_within_budget(binary: &Binary, idle: u64, what: &str) {
    tokio::time::sleep(MEASURED_FROM).await;
    let mut readings = Vec::new();
    let start = tokio::time::Instant::now();
    while start.elapsed() < MEASURED_FOR {
        readings.push(binary.anon_rss_bytes().saturating_sub(idle));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let held = readings.iter().copied().min().unwrap_or_default();
    let peak = readings.iter().copied().max().unwrap_or_default();
    eprintln!(
        "{what}: {} MiB above idle held, {} MiB at the peak",
        held >> 20,
        peak >> 20
    );
    assert!(
        held < MEMORY_BUDGET,
        "{what} held {} MiB (budget {} MiB)",
        held >> 20,
        MEMORY_BUDGET >> 20
    );
}

/// Reads what the server sends until it closes the connection, within `within`;
/// `None` if it kept the connection open.
pub async fn until_closed(mut stream: TcpStream, within: Duration) -> Option<String> {
    let mut answer = Vec::new();
    let read = stream.read_to_end(&mut answer);
    match tokio::time::timeout(within, read).await {
        Err(_) => None,
        Ok(_) => Some(String::from_utf8_lossy(&answer).into_owned()),
    }
}

/// Asserts each of `answers` (what [`until_closed`] read) is a JSON error with
/// one of `statuses`, or nothing (a connection reset before its answer), and
/// returns how many had each status.
pub fn json_error_statuses(answers: &[Option<String>], statuses: &[&str]) -> Vec<usize> {
    let mut counts = vec![0; statuses.len()];
    for answer in answers {
        let answer = answer
            .as_deref()
            .expect("every connection is answered and closed");
        if answer.is_empty() {
            continue; // refused at once: the reset may outrun the answer
        }
        let status = answer.get(9..12).unwrap_or_default();
        let at = statuses.iter().position(|s| *s == status);
        let at = at.unwrap_or_else(|| panic!("not one of {statuses:?}: {answer:.200}"));
        let (_, body) = answer.split_once("\r\n\r\n").expect("a head and a body");
        let json: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
        assert_eq!(json["error"], true, "{body}");
        counts[at] += 1;
    }
    counts
}
