//! NATS, the fifth transport (request/reply to each worker's subject), and the
//! log event on JetStream beside RabbitMQ's: stored by the listener, caught up
//! on after the listener was away, replayed by a new durable consumer.

use std::time::Duration;

use serde_json::json;
use testkit::{MailCatcher, filter, log_filter, unique_name};

use crate::helpers::{Stack, TestApp, Tuning, assert_fast_503s, says};

#[tokio::test]
async fn every_action_over_nats_answers_and_has_its_effect() {
    let app = TestApp::spawn().await;
    let name = unique_name("nats");
    let (status, body) = app.log(Some("nats"), &name, "over nats").await;
    assert_eq!((status, body.message.as_str()), (202, "logged"), "{body:?}");
    assert_eq!(body.transport.map(|t| t.as_str()), Some("nats"));
    assert_eq!(
        app.mongo
            .find_logs(log_filter(&name, "over nats"))
            .await
            .len(),
        1
    );

    let (status, body) = app
        .auth(Some("nats"), "admin@example.com", "verysecret")
        .await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["data"]["email"], "admin@example.com");
    assert!(
        body["token"].as_str().is_some_and(|t| !t.is_empty()),
        "{body}"
    );
    let (status, _) = app.auth(Some("nats"), "admin@example.com", "wrong").await;
    assert_eq!(status, 401);

    let to = format!("{}@example.com", unique_name("nats"));
    let mail = json!({"to": to, "subject": "over nats", "message": "hi"});
    let (status, body) = app.mail(Some("nats"), mail).await;
    assert_eq!(status, 202, "{body}");
    let caught = MailCatcher::new()
        .wait_for(&to, Duration::from_secs(5))
        .await;
    assert!(caught.is_some(), "the mail over NATS was sent");

    let body = json!({"action": "ping", "transport": "nats", "ping": {"data": "echo me"}});
    let (status, answer) = app.post_raw("/handle", body.to_string()).await;
    assert_eq!(
        (status, answer["message"].as_str()),
        (202, Some("pong")),
        "{answer}"
    );
    let body = json!({"action": "logs", "transport": "nats", "logs": {"name": name}});
    let (status, answer) = app.post_raw("/handle", body.to_string()).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["data"]["entries"][0]["data"], "over nats");
    app.teardown().await;
}

#[tokio::test]
async fn a_worker_that_is_down_is_a_503_at_once_over_every_transport() {
    let app = TestApp::spawn_with(Stack::NO_LOGGER).await;
    let name = unique_name("down");
    // NATS answers a request nobody serves at once (no responders).
    let (shared, name) = (&app, &name);
    assert_fast_503s(|transport| async move {
        let body =
            json!({"action": "log", "transport": transport, "log": {"name": name, "data": "x"}});
        shared.post_raw("/handle", body.to_string()).await
    })
    .await;
    app.teardown().await;
}

#[tokio::test]
async fn a_call_larger_than_nats_takes_is_a_413_and_the_connection_stays() {
    // The broker takes bodies up to 4 MiB; the NATS server one message of 1 MiB.
    let tuning = Tuning::default().broker(|s| s.limits.max_body_bytes = 4 << 20);
    let app = TestApp::spawn_tuned(Stack::ALL, tuning).await;
    let name = unique_name("large");
    let data = "x".repeat(3 << 19);
    let (status, body) = app.log(Some("nats"), &name, &data).await;
    assert_eq!(status, 413, "{body:?}");
    assert!(body.message.contains("max_payload"), "{}", body.message);
    let big = json!({"action": "log", "bus": "nats", "log": {"name": name, "data": data}});
    let (status, body) = app.post_raw("/handle", big.to_string()).await;
    assert_eq!(status, 413, "{body}");
    let (status, body) = app.log(Some("nats"), &name, "small").await;
    assert_eq!(status, 202, "the next call is served: {body:?}");
    app.teardown().await;
}

#[tokio::test]
async fn an_event_on_jetstream_is_stored_by_the_listener_and_bus_with_transport_is_refused() {
    let app = TestApp::spawn().await;
    let name = unique_name("js");
    let event =
        json!({"action": "log", "bus": "nats", "log": {"name": name, "data": "on jetstream"}});
    let (status, answer) = app.post_raw("/handle", event.to_string()).await;
    assert_eq!(status, 202, "{answer}");
    assert_eq!(answer["message"], "logged via NATS JetStream");
    assert_eq!(answer["transport"], "nats");
    let found = app
        .mongo
        .wait_for_logs(
            log_filter(&name, "on jetstream"),
            1,
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(found, 1, "stored once");

    let both = json!({"action": "log", "bus": "nats", "transport": "http",
        "log": {"name": name, "data": "x"}});
    let (status, answer) = app.post_raw("/handle", both.to_string()).await;
    assert_eq!(status, 400, "{answer}");
    assert!(says(&answer, "not both"), "{answer}");
    app.teardown().await;
}

/// Publishes `count` events named `name` on JetStream; each answers 202.
async fn publish_events(app: &TestApp, name: &str, count: usize) {
    for i in 0..count {
        let event =
            json!({"action": "log", "bus": "nats", "log": {"name": name, "data": format!("{i}")}});
        let (status, answer) = app.post_raw("/handle", event.to_string()).await;
        assert_eq!(status, 202, "event {i}: {answer}");
    }
}

#[tokio::test]
async fn a_stopped_listener_catches_up_once_and_a_new_durable_consumer_replays_the_stream() {
    const EVENTS: usize = 40;
    let mut app = TestApp::spawn_with(Stack::NO_LISTENER).await;
    let name = unique_name("late");
    // The listener is away: JetStream keeps the events.
    publish_events(&app, &name, EVENTS).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(app.mongo.find_logs(filter! {"name": &name}).await.len(), 0);
    app.start_listener().await;
    let stored = app
        .mongo
        .wait_for_logs(
            filter! {"name": &name},
            EVENTS as u64,
            Duration::from_secs(15),
        )
        .await;
    assert_eq!(
        stored, EVENTS as u64,
        "every event stored after the listener came back"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..EVENTS {
        let copies = app
            .mongo
            .find_logs(log_filter(&name, &i.to_string()))
            .await
            .len();
        assert_eq!(copies, 1, "event {i} stored once");
    }
    // A late joiner: a durable consumer of a new name replays from the start.
    if let Some(listener) = app.listener.take() {
        listener.stop().await;
    }
    app.start_listener_tuned(|s| s.nats_durable = "late-joiner".into())
        .await;
    let twice = app
        .mongo
        .wait_for_logs(
            filter! {"name": &name},
            2 * EVENTS as u64,
            Duration::from_secs(15),
        )
        .await;
    assert_eq!(
        twice,
        2 * EVENTS as u64,
        "the replay stored every event again"
    );
    app.teardown().await;
}
