//! The HTTP API: `POST /log`, `GET /logs`, `GET /ping`, `GET /health`, and
//! what the logger answers when MongoDB is down.

use std::time::Duration;

use clients::CallError;
use protocol::{Call, Data, WorkerError};
use serde_json::{Value, json};
use testkit::{TcpProxy, closed_port, log_filter, unique_name};

use crate::helpers::{TIMEOUT, TestLogger, log_call};

#[tokio::test]
async fn post_log_stores_the_entry_and_answers_202_logged() {
    let app = TestLogger::spawn().await;
    let name = unique_name("http");

    let (status, body) = app.log(&name, "hello").await;

    assert_eq!(status, 202);
    assert_eq!(body, json!({"error": false, "message": "logged"}));
    assert_eq!(
        app.mongo.find_logs(log_filter(&name, "hello")).await.len(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn logs_lists_the_newest_first_up_to_the_limit() {
    let app = TestLogger::spawn().await;
    let name = unique_name("newest");
    for i in 0..5 {
        let (status, _) = app.log(&name, format!("{i}")).await;
        assert_eq!(status, 202);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let http = app.worker.http_client(TIMEOUT);
    let query = |body: Value| -> Call {
        serde_json::from_value(json!({"action": "logs", "logs": body})).expect("a logs call")
    };
    let answer = http.call(&query(json!({"name": name, "limit": 3}))).await;
    let Ok(Data::Logs(page)) = answer.map(|a| a.data) else {
        panic!("a page of entries")
    };
    let data: Vec<_> = page.entries.into_iter().map(|e| e.data).collect();
    assert_eq!(data, ["4", "3", "2"]);

    let zero = serde_json::from_value::<Call>(json!({"action": "logs", "logs": {"limit": 0}}));
    assert!(zero.is_err(), "a limit of 0 is refused");
    let (status, body) = app
        .post_call(json!({"action": "logs", "logs": {"limit": 0}}))
        .await;
    assert_eq!(status, 400, "{body}");
    assert!(body.to_string().contains("logs.limit"), "{body}");
    app.stop().await;
}

#[tokio::test]
async fn concurrent_writes_are_all_stored_once() {
    // Exercises the group commit: many callers at once, each answered after storage.
    let app = TestLogger::spawn().await;
    let name = unique_name("burst");
    let calls = (0..200).map(|i| app.log(&name, format!("{i}")));
    let answers = futures::future::join_all(calls).await;
    assert!(answers.iter().all(|(status, _)| *status == 202));
    let stored = app
        .mongo
        .wait_for_logs(testkit::filter! {"name": &name}, 200, Duration::ZERO)
        .await;
    assert_eq!(stored, 200);
    app.stop().await;
}

#[tokio::test]
async fn a_connection_dropped_mid_batch_still_stores_every_entry_exactly_once() {
    // Before the logger gave each entry its `_id` and inserted a batch again
    // after a dropped connection, every caller of that batch got a 503 although
    // MongoDB had stored it (and a caller that retried stored it twice).
    let mongo = TcpProxy::start(&mongo_authority()).await;
    let port = mongo.port();
    let app = TestLogger::spawn_with(|s| {
        s.mongo_url = format!("mongodb://127.0.0.1:{port}/?directConnection=true");
    })
    .await;
    let (status, _) = app.log("warm", "up").await;
    assert_eq!(status, 202);
    // MongoDB's answers are held, so the batch is stored but not yet
    // acknowledged when the connection drops under it.
    mongo.delay(Duration::from_millis(400));
    let name = unique_name("dropped");
    let calls = (0..50).map(|i| app.log(&name, format!("{i}")));
    let answers = futures::future::join(futures::future::join_all(calls), async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        mongo.delay(Duration::ZERO);
        mongo.reset();
    })
    .await
    .0;
    for (status, body) in &answers {
        assert_eq!(*status, 202, "{body}");
    }
    let stored = app
        .mongo
        .wait_for_logs(testkit::filter! {"name": &name}, 50, Duration::from_secs(2))
        .await;
    assert_eq!(stored, 50, "each entry once");
    for i in [0, 25, 49] {
        let one = app
            .mongo
            .find_logs(testkit::filter! {"name": &name, "data": format!("{i}")})
            .await;
        assert_eq!(one.len(), 1, "entry {i} stored exactly once");
    }
    app.stop().await;
}

/// `host:port` of the test's Mongo-wire server.
fn mongo_authority() -> String {
    let url = testkit::mongo_url();
    let rest = url.trim_start_matches("mongodb://");
    let authority = rest.split(['/', '?']).next().unwrap_or(rest);
    authority.rsplit('@').next().unwrap_or(authority).to_owned()
}

#[tokio::test]
async fn an_unreachable_mongodb_is_503_and_health_says_so() {
    let app = TestLogger::spawn_with(|s| without_mongodb(s, 300)).await;
    let (status, body) = app.log("n", "d").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], true);
    assert!(matches!(
        app.worker
            .rpc_client(TIMEOUT)
            .call(&log_call("n", "d"))
            .await,
        Err(CallError::Worker(WorkerError::Unavailable(_)))
    ));
    assert_eq!(app.get("/health").await.status().as_u16(), 503);
    app.stop().await;
}

#[tokio::test]
async fn ping_and_health_answer_when_mongodb_is_up() {
    let app = TestLogger::spawn().await;
    for path in ["/ping", "/health"] {
        assert_eq!(app.get(path).await.status().as_u16(), 200, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_method_log_does_not_serve_is_a_json_405_naming_post() {
    let app = TestLogger::spawn().await;
    let response = app.get("/log").await;
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["error"], true);
    app.stop().await;
}

/// While MongoDB is down every call fails the same way: the logger writes one
/// line of each kind a second, with the count held back, not a line per call
/// (before: an ERROR line per call and per batch, cause chain included).
#[tokio::test]
async fn an_outage_is_logged_once_a_second_with_a_count_not_once_per_call() {
    let logs = testkit::capture_logs();
    let app = TestLogger::spawn_with(|s| without_mongodb(s, 100)).await;
    let calls = 40;
    let started = std::time::Instant::now();
    let posts = (0..calls).map(|i| app.log("down", i.to_string()));
    for (status, body) in futures::future::join_all(posts).await {
        assert_eq!(status, 503, "{body}");
    }
    let seconds = started.elapsed().as_secs() as usize + 1;
    for kind in ["a dependency is unavailable", "storing log entries failed"] {
        let lines = logs.lines_with(kind).len();
        assert!(
            (1..=seconds).contains(&lines),
            "{lines} lines of {kind:?} for {calls} calls in {seconds} s"
        );
    }
    app.stop().await;
}

/// Settings whose MongoDB is a closed port, given up on after `timeout_ms`.
fn without_mongodb(settings: &mut flexi_logger::Settings, timeout_ms: u64) {
    settings.mongo_url = format!(
        "mongodb://127.0.0.1:{}/?directConnection=true",
        closed_port()
    );
    settings.mongo_timeout_ms = timeout_ms;
}

/// The `logs` action's queries have their indexes (made in the background at
/// start-up): newest first, by name and by trace id.
#[tokio::test]
async fn the_logger_makes_the_indexes_its_logs_queries_use() {
    let logger = TestLogger::spawn().await;
    let collection = logger.mongo.database.collection::<Value>("logs");
    let wanted = [
        "created_at_-1__id_-1",
        "name_1_created_at_-1__id_-1",
        "trace_id_1_created_at_-1__id_-1",
    ];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let names = collection.list_index_names().await.unwrap_or_default();
        if wanted.iter().all(|w| names.iter().any(|n| n == w)) {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "indexes: {names:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    logger.stop().await;
}
