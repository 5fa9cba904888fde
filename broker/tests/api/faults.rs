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

/// Closes every RabbitMQ connection of this test's namespace, as
/// `rabbitmqctl close_connection` does when an operator (or a network fault)
/// cuts them. Only this test's connections: others run in parallel.
async fn cut_rabbitmq_connections(namespace: &str) -> usize {
    let listed = tokio::process::Command::new("rabbitmqctl")
        .args(["list_connections", "--quiet", "pid", "client_properties"])
        .output()
        .await
        .expect("rabbitmqctl runs (it comes with rabbitmq-server)");
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    let pids: Vec<String> = listed
        .lines()
        .filter(|line| line.contains(namespace))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .collect();
    for pid in &pids {
        let closed = tokio::process::Command::new("rabbitmqctl")
            .args(["close_connection", pid, "cut by a fault test"])
            .output()
            .await
            .expect("rabbitmqctl runs");
        assert!(
            closed.status.success(),
            "{}",
            String::from_utf8_lossy(&closed.stderr)
        );
    }
    pids.len()
}

#[tokio::test]
async fn cut_rabbitmq_connections_lose_no_accepted_event_and_heal_themselves() {
    let app = TestApp::spawn().await;
    let name = testkit::unique_name("cut");
    let mut accepted = Vec::new();
    let mut cut = 0;
    for i in 0..240 {
        if i == 80 || i == 160 {
            cut += cut_rabbitmq_connections(&app.amqp.namespace).await;
        }
        let (status, body) = app.log(None, &name, &i.to_string()).await;
        match status {
            202 => accepted.push(i.to_string()),
            // While a connection is being rebuilt the broker may refuse, never lie.
            503 => {}
            other => panic!("event {i}: {other} {body:?}"),
        }
    }
    assert!(
        cut >= 4,
        "the broker's and the listener's connections were cut twice ({cut})"
    );
    // Both sides reconnected by themselves: the last events were accepted...
    assert!(
        accepted.iter().any(|d| d == "239"),
        "the broker publishes again"
    );
    // ...and every accepted event is stored (at least once).
    let stored = app
        .mongo
        .wait_for_logs(
            filter! {"name": &name},
            accepted.len() as u64,
            Duration::from_secs(30),
        )
        .await;
    assert!(
        stored >= accepted.len() as u64,
        "{stored} stored of {} accepted",
        accepted.len()
    );
    for data in &accepted {
        let found = app
            .mongo
            .find_logs(filter! {"name": &name, "data": data})
            .await;
        assert!(!found.is_empty(), "accepted event {data} is stored");
    }
    // The request/reply path works again too (the listener consumes again).
    let status = eventually(Duration::from_secs(10), 202, || async {
        app.log(Some("amqp"), "after-cut", "rr").await.0
    })
    .await;
    assert_eq!(status, 202);
    app.teardown().await;
}
