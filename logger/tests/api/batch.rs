//! `POST /call` with an array: several calls in one request, each with its own outcome and
//! its own trace (what the listener stores batches of events with).

use std::time::Duration;

use clients::{CallError, http::HttpClient};
use protocol::{Call, Data, PerWorker, Worker, WorkerError, batch::Batched};
use serde_json::json;
use testkit::{log_filter, unique_name};

use crate::helpers::{TIMEOUT, TestLogger};

fn call(value: serde_json::Value) -> Call {
    serde_json::from_value(value).expect("a valid call")
}

#[tokio::test]
async fn each_call_of_a_batch_is_answered_in_order_and_stored_in_its_own_trace() {
    let app = TestLogger::spawn().await;
    let name = unique_name("batch");
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent = format!("00-{trace_id}-00f067aa0ba902b7-01");
    let first = call(json!({"action": "log", "log": {"name": name, "data": "first"}}));
    let ping = call(json!({"action": "ping", "ping": {"data": "echo"}}));
    let second = call(json!({"action": "log", "log": {"name": name, "data": "second"}}));
    let mail = call(
        json!({"action": "mail", "mail": {"to": "a@example.com", "subject": "s", "message": "m"}}),
    );
    let calls = [
        Batched {
            call: &first,
            traceparent: None,
        },
        Batched {
            call: &ping,
            traceparent: None,
        },
        Batched {
            call: &second,
            traceparent: Some(&parent),
        },
        Batched {
            call: &mail,
            traceparent: None,
        },
    ];
    let bases = PerWorker::from_fn(|w| {
        if w == Worker::Logger {
            app.url("")
        } else {
            String::new()
        }
    });
    let client = HttpClient::new(bases, Duration::from_secs(30), TIMEOUT).expect("a client");
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let replies = client.call_batch(Worker::Logger, &calls, deadline).await;
    let replies = replies.expect("the batch is answered");

    assert_eq!(replies.len(), 4);
    assert_eq!(replies[0].as_ref().map(|a| &a.data), Ok(&Data::Log));
    assert_eq!(
        replies[1].as_ref().map(|a| &a.data),
        Ok(&Data::Ping(Some("echo".into())))
    );
    assert_eq!(replies[2].as_ref().map(|a| &a.data), Ok(&Data::Log));
    assert!(
        matches!(&replies[3], Err(WorkerError::Invalid(why)) if why.contains("mail")),
        "the logger does not serve mail, and says so for that call alone: {:?}",
        replies[3]
    );
    let first = app.mongo.find_logs(log_filter(&name, "first")).await;
    assert_eq!(first.len(), 1, "stored once");
    let second = app.mongo.find_logs(log_filter(&name, "second")).await;
    assert_eq!(second.len(), 1);
    assert_eq!(
        second[0].get_str("trace_id").ok(),
        Some(trace_id),
        "stored in the trace its call named"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_call_that_is_not_valid_fails_alone_and_an_array_that_is_not_a_batch_is_a_json_400() {
    let name = unique_name("batch-invalid");
    let body = json!([
        {"call": {"action": "log", "log": {"name": "", "data": "blank name"}}},
        {"call": {"action": "log", "log": {"name": name, "data": "valid"}}},
    ]);
    let app = TestLogger::spawn().await;
    let (status, replies) = app.post("/call", body.to_string()).await;
    assert_eq!(status, 200, "{replies}");
    assert!(replies[0]["Err"]["Invalid"].is_string(), "{replies}");
    assert_eq!(replies[1]["Ok"]["message"], "logged", "{replies}");
    assert_eq!(
        app.mongo.find_logs(log_filter(&name, "valid")).await.len(),
        1
    );

    for refused in ["[{", "[1]", "  [\"ping\"]"] {
        let (status, answer) = app.post("/call", refused.to_owned()).await;
        assert_eq!(status, 400, "{answer}");
        assert_eq!(answer["error"], true, "{answer}");
    }
    let too_many = vec![json!({"call": {"action": "ping"}}); protocol::batch::MAX_CALLS + 1];
    let (status, answer) = app.post("/call", json!(too_many).to_string()).await;
    let most = protocol::batch::MAX_CALLS;
    assert_eq!(
        (status, &answer["message"]),
        (400, &json!(format!("a batch has at most {most} calls")))
    );
    app.stop().await;
}

#[tokio::test]
async fn a_batch_to_a_worker_that_is_gone_fails_whole_as_unreachable() {
    let bases = PerWorker::from_fn(|w| {
        if w == Worker::Logger {
            testkit::http_url(testkit::closed_port())
        } else {
            String::new()
        }
    });
    let client = HttpClient::new(bases, Duration::from_secs(30), TIMEOUT).expect("a client");
    let ping = call(json!({"action": "ping"}));
    let calls = [Batched {
        call: &ping,
        traceparent: None,
    }];
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let answer = client.call_batch(Worker::Logger, &calls, deadline).await;
    assert!(
        matches!(answer, Err(CallError::Unreachable(_))),
        "{answer:?}"
    );
}
