//! RabbitMQ's faults: connections cut under load and under a waiting call, and a
//! listener started while RabbitMQ is unreachable.

use std::time::{Duration, Instant};

use futures::StreamExt;
use lapin::{options::BasicConsumeOptions, types::FieldTable};
use testkit::{Running, TcpProxy, filter};
use tokio::process::Command;

use crate::helpers::{Stack, TestApp, Tuning, eventually, run_to_success};

/// Closes every RabbitMQ connection of this test's namespace, as
/// `rabbitmqctl close_connection` does when an operator (or a network fault)
/// cuts them. Only this test's connections: others run in parallel.
async fn cut_rabbitmq_connections(namespace: &str) -> usize {
    let listed = Command::new("rabbitmqctl")
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
        let mut close = Command::new("rabbitmqctl");
        close.args(["close_connection", pid, "cut by a fault test"]);
        run_to_success(&mut close, "rabbitmqctl runs").await;
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
async fn a_call_waiting_for_its_reply_fails_at_once_when_the_connection_is_cut() {
    // A timeout long enough that only the cut can end the call before it.
    let tuning = Tuning::default().broker(|broker| broker.dispatch_timeout_ms = 60_000);
    let app = TestApp::spawn_tuned(Stack::NONE, tuning).await;
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
    let rabbit = TcpProxy::start(&rabbit_host).await;
    rabbit.cut();
    let app = TestApp::spawn_with(Stack::NO_LISTENER).await;

    let mut settings = listener::Settings::from_env().expect("settings");
    settings.http_addr = testkit::local(0);
    settings.amqp = app.amqp.settings();
    settings.nats = app.amqp.nats_settings();
    settings.amqp.amqp_url = settings
        .amqp
        .amqp_url
        .replace(&rabbit_host, &testkit::local(rabbit.port()));
    settings.logger_url = app.logger_addrs.http.clone();
    // It builds without RabbitMQ.
    let (listener, port) = Running::build::<listener::Application>(settings).await;
    let health = format!("{}/health", testkit::http_url(port));

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
    assert!(!listener.is_finished(), "the listener keeps waiting");

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

    listener.stop().await;
    app.teardown().await;
}
