//! Events confirmed by RabbitMQ survive a listener that is not running.

use std::time::Duration;

use testkit::filter;

use crate::helpers::{Stack, TestApp};

#[tokio::test]
async fn events_published_while_the_listener_is_down_are_all_stored_once_it_starts() {
    let mut app = TestApp::spawn_with(Stack::NO_LISTENER).await;
    let name = testkit::unique_name("offline");

    for i in 0..100 {
        let (status, body) = app.log(None, &name, &format!("event {i}")).await;
        assert_eq!(status, 202, "event {i}: {body:?}");
        assert_eq!(body.message, "logged via RabbitMQ");
    }
    // Nothing can have been stored yet: no listener has run for this namespace.
    let before = app
        .mongo
        .wait_for_logs(filter! {"name": &name}, 1, Duration::ZERO)
        .await;
    assert_eq!(before, 0);

    app.start_listener().await;

    let stored = app
        .mongo
        .wait_for_logs(filter! {"name": &name}, 100, Duration::from_secs(30))
        .await;
    assert_eq!(stored, 100, "every confirmed event is stored");
    for i in [0, 42, 99] {
        let one = app
            .mongo
            .find_logs(filter! {"name": &name, "data": format!("event {i}")})
            .await;
        assert_eq!(one.len(), 1, "event {i} stored exactly once");
    }
    app.teardown().await;
}
