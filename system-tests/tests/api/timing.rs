//! Where the time went: every `/handle` answer breaks its time down into the
//! transport, RabbitMQ's queue, the worker and its dependency, and a slow
//! dependency shows where it belongs.

use std::time::Duration;

use protocol::{Timing, compare::CompareReport};
use serde_json::{Value, json};

use crate::helpers::{Stack, TestApp, Tuning};

/// The answer's timing, checked for what holds on every transport: no part is
/// negative, the dependency is part of the worker's time, and transport, queue
/// and worker add up to the total (to the microsecond the figures are rounded to).
fn timing_of(answer: &Value) -> Timing {
    let timing: Timing =
        serde_json::from_value(answer["timing"].clone()).expect("a timing in every answer");
    let queue = timing.queue_ms.unwrap_or(0.0);
    for part in [
        timing.transport_ms,
        timing.worker_ms,
        timing.dependency_ms,
        queue,
    ] {
        assert!(part >= 0.0, "{timing:?}");
    }
    assert!(timing.dependency_ms <= timing.worker_ms, "{timing:?}");
    let sum = timing.transport_ms + queue + timing.worker_ms;
    assert!((sum - timing.total_ms).abs() < 0.002, "{timing:?}");
    timing
}

#[tokio::test]
async fn every_answer_says_where_its_time_went_on_every_transport() {
    let app = TestApp::spawn().await;
    let mail = json!({"to": "timing@example.com", "subject": "timing", "message": "m"});
    for transport in ["http", "amqp", "rpc", "grpc"] {
        let calls = [
            app.auth(Some(transport), "admin@example.com", "verysecret")
                .await,
            app.mail(Some(transport), mail.clone()).await,
            app.post_raw(
                "/handle",
                json!({"action": "log", "transport": transport, "log": {"name": "t", "data": "d"}})
                    .to_string(),
            )
            .await,
        ];
        for (status, answer) in calls {
            assert_eq!(status, 202, "{transport}: {answer}");
            let timing = timing_of(&answer);
            assert!(timing.worker_ms > 0.0, "{transport}: {timing:?}");
            assert!(timing.dependency_ms > 0.0, "{transport}: {timing:?}");
            assert_eq!(timing.queue_ms.is_some(), transport == "amqp", "{timing:?}");
        }
    }
    // The original's event has no worker on its path: all of it is transport.
    let (status, event) = app.log(None, "event", "d").await;
    assert_eq!(status, 202);
    let timing = event.timing.expect("the event's timing");
    assert_eq!((timing.worker_ms, timing.queue_ms), (0.0, None));
    assert_eq!(timing.transport_ms, timing.total_ms);
    // A failed call still says how long it took.
    let (status, failed) = app.auth(Some("grpc"), "admin@example.com", "wrong").await;
    assert_eq!(status, 401);
    assert!(timing_of(&failed).total_ms > 0.0);
    app.teardown().await;
}

#[tokio::test]
async fn a_slow_smtp_server_shows_in_the_dependency_time_not_the_transports() {
    const DELAY: Duration = Duration::from_millis(150);
    let (host, port) = testkit::smtp_addr();
    let smtp = testkit::TcpProxy::start(&format!("{host}:{port}")).await;
    let smtp_port = smtp.port();
    let tuning = Tuning::default().mail(move |mail| {
        mail.mail_host = "127.0.0.1".into();
        mail.mail_port = smtp_port;
        mail.smtp_timeout_ms = 10_000;
    });
    let app = TestApp::spawn_tuned(
        Stack::ALL,
        tuning.broker(|b| b.dispatch_timeout_ms = 10_000),
    )
    .await;
    let mail = json!({"to": "slow@example.com", "subject": "slow", "message": "m"});
    for transport in ["http", "amqp", "rpc", "grpc"] {
        smtp.delay(Duration::ZERO);
        let (status, quick) = app.mail(Some(transport), mail.clone()).await;
        assert_eq!(status, 202, "{quick}");
        let quick = timing_of(&quick);
        smtp.delay(DELAY);
        let (status, slow) = app.mail(Some(transport), mail.clone()).await;
        assert_eq!(status, 202, "{slow}");
        let slow = timing_of(&slow);
        let delay_ms = DELAY.as_secs_f64() * 1000.0;
        // Every SMTP reply waited (several per mail): at least one delay more.
        assert!(
            slow.dependency_ms >= quick.dependency_ms + delay_ms,
            "{transport}: {quick:?} then {slow:?}"
        );
        assert!(slow.transport_ms < delay_ms, "{transport}: {slow:?}");
    }
    smtp.delay(Duration::ZERO);
    app.teardown().await;
}

#[tokio::test]
async fn a_comparison_reports_each_part_per_transport() {
    let app = TestApp::spawn().await;
    let body = json!({"action": "log", "log": {"name": "cmp", "data": "d"}, "requests": 20, "concurrency": 2});
    let (status, answer) = app.post_raw("/compare", body.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    let report: CompareReport = serde_json::from_value(answer["data"].clone()).expect("report");
    for stats in report.results {
        let parts = stats
            .breakdown
            .expect("a breakdown of the successful calls");
        assert_eq!(
            parts.queue.is_some(),
            stats.transport.as_str() == "amqp",
            "{stats:?}"
        );
        assert!(
            parts.worker.p50_ms > 0.0 && parts.dependency.p50_ms > 0.0,
            "{stats:?}"
        );
        assert!(parts.dependency.p50_ms <= parts.worker.p50_ms, "{stats:?}");
        assert!(parts.transport.p50_ms <= stats.p50_ms, "{stats:?}");
    }
    app.teardown().await;
}
