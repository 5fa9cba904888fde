//! Faults: a worker that dies and comes back, and a clean stop on SIGTERM.

use std::time::{Duration, Instant};

use testkit::filter;

use crate::helpers::{DISPATCH_TIMEOUT, Running, TestApp, spawn_logger_on};

/// Retries `call` until it answers `expected` or `within` passes; the last status.
async fn eventually<F, Fut>(within: Duration, expected: u16, mut call: F) -> u16
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = u16>,
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

#[tokio::test]
async fn a_killed_logger_gives_fast_503s_queues_events_and_recovers_without_a_broker_restart() {
    let mut app = TestApp::spawn().await;
    // Warm every client up: connections exist when the logger goes away.
    for transport in ["http", "rpc", "grpc", "amqp"] {
        assert_eq!(app.log(Some(transport), "warm", transport).await.0, 202);
    }

    let logger: Running = app.services.remove(0);
    logger.stop().await;

    for transport in ["http", "rpc", "grpc"] {
        let started = Instant::now();
        let (status, body) = app.log(Some(transport), "while-down", transport).await;
        assert_eq!(status, 503, "{transport}: {body:?}");
        assert!(
            started.elapsed() < DISPATCH_TIMEOUT,
            "{transport} took {:?}",
            started.elapsed()
        );
    }
    // The original's event path still accepts: RabbitMQ keeps the events.
    let name = testkit::unique_name("queued");
    for i in 0..20 {
        let (status, _) = app.log(None, &name, &i.to_string()).await;
        assert_eq!(status, 202);
    }

    // The logger comes back on the same ports; nothing else is restarted.
    app.services
        .insert(0, spawn_logger_on(&app.mongo.name, &app.logger_addrs).await);

    for transport in ["http", "rpc", "grpc", "amqp"] {
        let status = eventually(Duration::from_secs(10), 202, || async {
            app.log(Some(transport), "after", transport).await.0
        })
        .await;
        assert_eq!(status, 202, "{transport} recovers by itself");
    }
    let stored = app
        .mongo
        .wait_for_logs(filter! {"name": &name}, 20, Duration::from_secs(20))
        .await;
    assert_eq!(
        stored, 20,
        "the events queued while the logger was down are stored"
    );
    app.teardown().await;
}

#[tokio::test]
async fn the_broker_binary_exits_0_on_sigterm() {
    let port = testkit::closed_port();
    let mut broker = tokio::process::Command::new(env!("CARGO_BIN_EXE_broker"))
        .env("HTTP_ADDR", format!("127.0.0.1:{port}"))
        .env("HTTP_WORKERS", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the broker starts");
    let client = reqwest::Client::new();
    let ping = format!("http://127.0.0.1:{port}/ping");
    let status = eventually(Duration::from_secs(10), 200, || async {
        client
            .get(&ping)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    })
    .await;
    assert_eq!(status, 200);

    let pid = broker.id().expect("running").to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await;
    assert!(killed.expect("kill runs").success());
    let exit = tokio::time::timeout(Duration::from_secs(15), broker.wait())
        .await
        .expect("stops within its shutdown timeout")
        .expect("exit status");
    assert!(exit.success(), "{exit:?}");
}
