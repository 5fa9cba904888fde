//! What tests need besides the broker: the page, external programs, polling
//! until an answer, and timing a call.

use std::{
    future::Future,
    time::{Duration, Instant},
};

use serde_json::Value;
use testkit::{Running, local};
use tokio::process::Command;

/// The front-end (the page) on port 0, with `tune` applied to its settings:
/// its port, and the running page.
pub async fn spawn_page(tune: impl FnOnce(&mut front_end::Settings)) -> (u16, Running) {
    let mut settings = front_end::Settings::from_env().expect("front-end settings");
    settings.http_addr = local(0);
    tune(&mut settings);
    let (page, port) = Running::build::<front_end::Application>(settings).await;
    (port, page)
}

/// Runs `command` to its end and returns what it printed.
///
/// # Panics
///
/// If it does not start (`missing` says how to install it), or does not exit
/// 0: then with its stdout and stderr.
pub async fn run_to_success(command: &mut Command, missing: &str) -> String {
    let output = command.output().await.expect(missing);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Retries `call` until it answers `expected` or `within` passes; the last status.
pub async fn eventually<F, Fut>(within: Duration, expected: u16, mut call: F) -> u16
where
    F: FnMut() -> Fut,
    Fut: Future<Output = u16>,
{
    let deadline = Instant::now() + within;
    loop {
        let status = call().await;
        if status == expected || Instant::now() > deadline {
            return status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Asserts that `call` over every transport is a 503 with the JSON error body,
/// answered within the broker's dispatch deadline.
pub async fn assert_fast_503s<F, Fut>(call: F)
where
    F: Fn(&'static str) -> Fut,
    Fut: Future<Output = (u16, Value)>,
{
    for transport in protocol::Transport::NAMES {
        let ((status, body), took) = timed(call(transport)).await;
        assert_eq!(status, 503, "{transport}: {body}");
        assert_eq!(body["error"], true);
        assert!(took < super::DISPATCH_TIMEOUT, "{transport}: {took:?}");
    }
}

/// `call`'s answer and how long it took.
pub async fn timed<T>(call: impl Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let answer = call.await;
    (answer, started.elapsed())
}
