//! Faults: a worker that dies and comes back, and a clean stop on SIGTERM.

use runtime::service::Service;
use std::time::{Duration, Instant};

use futures::StreamExt;
use lapin::{options::BasicConsumeOptions, types::FieldTable};
use testkit::filter;

use crate::helpers::{DISPATCH_TIMEOUT, Running, Stack, TestApp, spawn_logger_on};

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
    app.services.insert(
        0,
        spawn_logger_on(&app.mongo.name, &app.amqp, &app.logger_addrs).await,
    );

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

#[tokio::test]
async fn auth_and_mail_answer_503_while_postgres_or_smtp_is_gone_and_recover_by_themselves() {
    let postgres_host = testkit::database_url()
        .rsplit('@')
        .next()
        .expect("host:port")
        .to_owned();
    let postgres = testkit::TcpProxy::start(&postgres_host).await;
    let (smtp_host, smtp_port) = testkit::smtp_addr();
    let smtp = testkit::TcpProxy::start(&format!("{smtp_host}:{smtp_port}")).await;
    let postgres_port = postgres.port();
    let app = TestApp::spawn_tuned(
        Stack::ALL,
        |auth| {
            let dsn = auth
                .dsn
                .expose()
                .replace(&postgres_host, &format!("127.0.0.1:{postgres_port}"));
            auth.dsn = dsn.into();
            auth.pg_timeout_ms = 500;
        },
        |mail| {
            mail.mail_host = "127.0.0.1".into();
            mail.mail_port = smtp.port();
        },
        |_| {},
    )
    .await;
    let login = || async {
        app.auth(Some("grpc"), "admin@example.com", "verysecret")
            .await
            .0
    };
    let mail = || async {
        let body = serde_json::json!({"to": "recover@example.com", "subject": "s", "message": "m"});
        app.mail(Some("rpc"), body).await.0
    };
    assert_eq!(eventually(Duration::from_secs(10), 202, login).await, 202);
    assert_eq!(mail().await, 202);

    postgres.cut();
    smtp.cut();
    for (what, status) in [("auth", login().await), ("mail", mail().await)] {
        assert_eq!(status, 503, "{what} while its dependency is gone");
    }

    postgres.restore();
    smtp.restore();
    assert_eq!(
        eventually(Duration::from_secs(10), 202, login).await,
        202,
        "auth recovers"
    );
    assert_eq!(
        eventually(Duration::from_secs(10), 202, mail).await,
        202,
        "mail recovers"
    );
    app.teardown().await;
}

#[tokio::test]
async fn a_call_waiting_for_its_reply_fails_at_once_when_the_connection_is_cut() {
    // A timeout long enough that only the cut can end the call before it.
    let app = TestApp::spawn_tuned(
        Stack::NONE,
        |_| {},
        |_| {},
        |broker| broker.dispatch_timeout_ms = 60_000,
    )
    .await;
    // Stands in for a logger that took the request and has not answered yet.
    let connection = app.amqp.connect().await;
    let channel = connection.create_channel().await.expect("channel");
    let queue = &app.amqp.names.request_queues.logger;
    runtime::amqp::declare_request_queue(&channel, queue)
        .await
        .expect("request queue declared");
    let mut requests = channel
        .basic_consume(
            queue.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .expect("consuming requests");

    let started = Instant::now();
    let cut = async {
        let held = requests.next().await.expect("the request arrives");
        // Only the broker's connection carries the namespace in its name.
        assert_eq!(cut_rabbitmq_connections(&app.amqp.namespace).await, 1);
        held
    };
    let ((status, body), _held) = tokio::join!(app.log(Some("amqp"), "held", "d"), cut);

    assert_eq!(status, 503, "{body:?}");
    assert!(body.message.contains("RabbitMQ"), "{body:?}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "released by the cut, not by the timeout: {:?}",
        started.elapsed()
    );
    drop(requests);
    let _ = connection.close(200, "done".into()).await;
    app.teardown().await;
}

#[tokio::test]
async fn the_listener_waits_for_rabbitmq_instead_of_exiting() {
    let rabbit_host = testkit::amqp_url()
        .split('@')
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .expect("host:port in TEST_AMQP_URL")
        .to_owned();
    let rabbit = testkit::TcpProxy::start(&rabbit_host).await;
    rabbit.cut();
    let app = TestApp::spawn_with(Stack {
        listener: false,
        ..Stack::ALL
    })
    .await;

    let mut settings = listener::Settings::from_env().expect("settings");
    settings.http_addr = "127.0.0.1:0".into();
    settings.amqp.amqp_url =
        testkit::amqp_url().replace(&rabbit_host, &format!("127.0.0.1:{}", rabbit.port()));
    settings.amqp.amqp_namespace = app.amqp.namespace.clone();
    settings.logger_url = app.logger_addrs.http.clone();
    let listener = listener::Application::build(settings)
        .await
        .expect("builds without RabbitMQ");
    let health = format!("http://127.0.0.1:{}/health", listener.http_port());
    let stop = tokio_util::sync::CancellationToken::new();
    let running = tokio::spawn(listener.run_until_stopped(stop.clone()));

    let down = app
        .client
        .get(&health)
        .send()
        .await
        .expect("health answers");
    assert_eq!(
        down.status().as_u16(),
        503,
        "not ready without RabbitMQ, but running"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!running.is_finished(), "the listener keeps waiting");

    rabbit.restore();
    let status = eventually(Duration::from_secs(15), 200, || async {
        app.client
            .get(&health)
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    })
    .await;
    assert_eq!(status, 200, "connected once RabbitMQ is reachable");
    let (status, body) = app.log(Some("amqp"), "late-start", "d").await;
    assert_eq!(status, 202, "{body:?}");

    stop.cancel();
    running.await.expect("no panic").expect("clean exit");
    app.teardown().await;
}

#[tokio::test]
async fn repeated_failures_open_the_circuit_which_closes_once_the_worker_is_back() {
    let mut app = TestApp::spawn().await;
    assert_eq!(app.log(Some("grpc"), "warm", "d").await.0, 202);
    app.services.remove(0).stop().await;

    // The default threshold: five failures to reach the logger over gRPC…
    for _ in 0..5 {
        let (status, body) = app.log(Some("grpc"), "n", "d").await;
        assert_eq!(
            (status, body.message.as_str()),
            (503, "logger is unreachable")
        );
    }
    // …then the circuit is open: a fast 503 without trying, on gRPC only.
    let (status, body) = app.log(Some("grpc"), "n", "d").await;
    assert_eq!(status, 503);
    assert_eq!(body.message, "logger is unavailable (circuit open)");
    let (_, other) = app.log(Some("http"), "n", "d").await;
    assert_eq!(
        other.message, "logger is unreachable",
        "other transports have their own circuit"
    );

    app.services.insert(
        0,
        spawn_logger_on(&app.mongo.name, &app.amqp, &app.logger_addrs).await,
    );
    let (_, still_open) = app.log(Some("grpc"), "n", "d").await;
    assert_eq!(
        still_open.message, "logger is unavailable (circuit open)",
        "open until the cool-down passed"
    );

    tokio::time::sleep(crate::helpers::BREAKER_COOL_DOWN + Duration::from_millis(100)).await;
    // Half-open: one trial, which succeeds and closes the circuit.
    let status = eventually(Duration::from_secs(5), 202, || async {
        app.log(Some("grpc"), "after", "d").await.0
    })
    .await;
    assert_eq!(status, 202);
    for _ in 0..3 {
        assert_eq!(app.log(Some("grpc"), "closed", "d").await.0, 202);
    }
    app.teardown().await;
}
