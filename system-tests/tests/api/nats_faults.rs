//! NATS stopped and started again, on a server of the test's own: under event
//! load, every event answered 202 is stored (at least once: a redelivery may
//! store one twice; the test counts and prints them); a call while NATS is
//! away is a 503 at once; both paths recover by themselves.

use std::{collections::HashMap, time::Duration};

use serde_json::json;
use testkit::{filter, nats::NatsServer, unique_name};

use crate::helpers::{DISPATCH_TIMEOUT, Stack, TestApp, Tuning, timed};

/// A NATS server of the test's own, and a stack whose logger, broker and
/// listener use it (the other workers the shared one).
async fn on_a_server_of_its_own() -> (NatsServer, TestApp) {
    let server = NatsServer::start().await;
    let nats = server.settings(&unique_name("t"));
    let (worker_nats, broker_nats) = (nats.clone(), nats.clone());
    let tuning = Tuning::default()
        .logger(move |s| s.server.nats = worker_nats)
        .broker(move |s| s.nats = broker_nats);
    let mut app = TestApp::spawn_tuned(Stack::NO_LISTENER, tuning).await;
    app.start_listener_tuned(move |s| s.nats = nats).await;
    (server, app)
}

#[tokio::test]
async fn nats_restarted_under_event_load_loses_no_acknowledged_event() {
    let (mut server, app) = on_a_server_of_its_own().await;
    let name = unique_name("restart");

    // Events for 4 s at about 100 a second; NATS is killed after 1 s and
    // started again (same store) 1 s later.
    let publishing = async {
        let mut answered = Vec::new();
        let (mut refused, started) = (0, tokio::time::Instant::now());
        let mut i = 0;
        while started.elapsed() < Duration::from_secs(4) {
            let data = format!("{i}");
            let event =
                json!({"action": "log", "bus": "nats", "log": {"name": name, "data": data}});
            let (status, _) = app.post_raw("/handle", event.to_string()).await;
            match status {
                202 => answered.push(data),
                503 | 504 => refused += 1,
                other => panic!("event {i}: {other}"),
            }
            i += 1;
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        (answered, refused)
    };
    let restarting = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        server.stop().await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        server.restart().await;
    };
    let ((answered, refused), ()) = tokio::join!(publishing, restarting);
    assert!(refused > 0, "some events were refused while NATS was away");
    assert!(
        answered.len() > 100,
        "{} events answered 202",
        answered.len()
    );

    // Every 202 is stored, once or (redelivered) more.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let stored = loop {
        let documents = app.mongo.find_logs(filter! {"name": &name}).await;
        let mut copies: HashMap<String, usize> = HashMap::new();
        for document in &documents {
            let data = document.get_str("data").unwrap_or_default().to_owned();
            *copies.entry(data).or_default() += 1;
        }
        let missing = answered.iter().filter(|d| !copies.contains_key(*d)).count();
        if missing == 0 || tokio::time::Instant::now() > deadline {
            assert_eq!(
                missing,
                0,
                "{missing} of {} acknowledged events lost",
                answered.len()
            );
            break copies;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let duplicates: usize = stored.values().map(|n| n - 1).sum();
    println!(
        "{} events answered 202, {refused} refused while NATS was away; \
         stored: {} entries, {duplicates} duplicates",
        answered.len(),
        stored.len() + duplicates
    );
    // Request/reply recovered too.
    let (status, _) = app.log(Some("nats"), &name, "after").await;
    assert_eq!(status, 202);
    app.teardown().await;
}

#[tokio::test]
async fn a_request_to_nats_while_it_is_down_is_a_503_at_once() {
    let (mut server, app) = on_a_server_of_its_own().await;
    let name = unique_name("outage");
    let (status, _) = app.log(Some("nats"), &name, "before").await;
    assert_eq!(status, 202);
    server.stop().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let ((status, body), took) = timed(app.log(Some("nats"), &name, "during")).await;
    assert_eq!(status, 503, "{body:?}");
    assert!(took < DISPATCH_TIMEOUT, "{took:?}");
    server.restart().await;
    let recovered = crate::helpers::eventually(Duration::from_secs(15), 202, || async {
        app.log(Some("nats"), &name, "after").await.0
    });
    assert_eq!(
        recovered.await,
        202,
        "NATS request/reply recovers by itself"
    );
    app.teardown().await;
}
