//! Faults of a worker or of a worker's dependency: a logger that dies and comes
//! back, Postgres and SMTP that go away, and the circuit breaker in between.
//! (RabbitMQ's faults: `faults_rabbitmq`.)

use std::time::Duration;

use testkit::{TcpProxy, filter};

use crate::helpers::{
    BREAKER_COOL_DOWN, DISPATCH_TIMEOUT, Stack, TestApp, Tuning, eventually, timed,
};

#[tokio::test]
async fn a_killed_logger_gives_fast_503s_queues_events_and_recovers_without_a_broker_restart() {
    let mut app = TestApp::spawn().await;
    // Warm every client up: connections exist when the logger goes away.
    for transport in ["http", "rpc", "grpc", "amqp"] {
        assert_eq!(app.log(Some(transport), "warm", transport).await.0, 202);
    }

    app.stop_logger().await;

    for transport in ["http", "rpc", "grpc", "nats"] {
        let ((status, body), took) = timed(app.log(Some(transport), "while-down", transport)).await;
        assert_eq!(status, 503, "{transport}: {body:?}");
        assert!(took < DISPATCH_TIMEOUT, "{transport} took {took:?}");
    }
    // The original's event path still accepts: RabbitMQ keeps the events.
    let name = testkit::unique_name("queued");
    app.log_numbered(None, &name, 20).await;

    // The logger comes back on the same ports; nothing else is restarted.
    app.restart_logger().await;

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
async fn auth_and_mail_answer_503_while_postgres_or_smtp_is_gone_and_recover_by_themselves() {
    let postgres_host = testkit::database_url()
        .rsplit('@')
        .next()
        .expect("host:port")
        .to_owned();
    let postgres = TcpProxy::start(&postgres_host).await;
    let (smtp_host, smtp_port) = testkit::smtp_addr();
    let smtp = TcpProxy::start(&format!("{smtp_host}:{smtp_port}")).await;
    let postgres_port = postgres.port();
    let tuning = Tuning::default()
        .auth(|auth| {
            let dsn = auth
                .dsn
                .expose()
                .replace(&postgres_host, &testkit::local(postgres_port));
            auth.dsn = dsn.into();
            auth.pg_timeout_ms = 500;
        })
        .mail(|mail| {
            mail.mail_host = "127.0.0.1".into();
            mail.mail_port = smtp.port();
        });
    let app = TestApp::spawn_tuned(Stack::ALL, tuning).await;
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
async fn repeated_failures_open_the_circuit_which_closes_once_the_worker_is_back() {
    let mut app = TestApp::spawn().await;
    assert_eq!(app.log(Some("grpc"), "warm", "d").await.0, 202);
    app.stop_logger().await;

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

    app.restart_logger().await;
    let (_, still_open) = app.log(Some("grpc"), "n", "d").await;
    assert_eq!(
        still_open.message, "logger is unavailable (circuit open)",
        "open until the cool-down passed"
    );

    tokio::time::sleep(BREAKER_COOL_DOWN + Duration::from_millis(100)).await;
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

/// An outage does not become a flood of log lines: 200 calls to a worker that
/// is down write one WARN line per kind of failure and second (before: one
/// each, 200), and the next line says how many were held back.
#[tokio::test]
async fn an_outage_is_logged_once_a_second_with_a_count_not_once_per_call() {
    let logs = testkit::capture_logs();
    // The circuit stays closed: every call fails the same way (refused).
    let tuning = Tuning::default().broker(|s| s.breaker_threshold = 1_000_000);
    let app = TestApp::spawn_tuned(Stack::NO_LOGGER, tuning).await;
    let calls = 200;
    let started = std::time::Instant::now();
    for i in 0..calls {
        let (status, _) = app.log(Some("http"), "down", &i.to_string()).await;
        assert_eq!(status, 503);
    }
    let took = started.elapsed();
    let warned = logs.lines_with("dispatch failed").len();
    let most = took.as_secs() as usize + 1;
    assert!(
        warned >= 1 && warned <= most,
        "{warned} lines in {took:?} for {calls} calls"
    );
    // A second later, the next failure's line carries the count held back.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(app.log(Some("http"), "down", "last").await.0, 503);
    let lines = logs.lines_with("dispatch failed");
    let repeated: u64 = lines
        .iter()
        .filter_map(|line| line["fields"]["repeated"].as_u64())
        .sum();
    assert_eq!(
        repeated as usize + lines.len(),
        calls + 1,
        "every failure is counted: {lines:#?}"
    );
    app.teardown().await;
}
