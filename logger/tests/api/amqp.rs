//! AMQP request/reply on the logger's own queue (`logger_requests.<namespace>`).
//! The listener carried these calls before; the logger serves them now, so its
//! request/reply test lives here.

use protocol::{Call, WorkerError};
use serde_json::json;
use testkit::{log_filter, unique_name};

use crate::helpers::{TIMEOUT, TestLogger, log_call};

#[tokio::test]
async fn a_request_is_answered_on_its_reply_queue_with_its_correlation_id() {
    let app = TestLogger::spawn().await;
    let mut caller = app.raw_amqp().await;
    let name = unique_name("rr");
    let calls = [
        (
            serde_json::to_vec(&log_call(&name, "d")).expect("json"),
            true,
        ),
        (
            json!({"action": "log", "log": {"name": "", "data": "d"}})
                .to_string()
                .into_bytes(),
            false,
        ),
    ];
    for (request, should_succeed) in calls {
        let (id, correlation_id, answer) = caller.request(&request).await;
        assert_eq!(correlation_id.as_deref(), Some(id.as_str()));
        if should_succeed {
            assert_eq!(answer.map(|a| a.message), Ok("logged".to_owned()));
        } else {
            assert!(matches!(answer, Err(WorkerError::Invalid(_))), "{answer:?}");
        }
    }
    assert_eq!(app.mongo.find_logs(log_filter(&name, "d")).await.len(), 1);
    app.stop().await;
}

#[tokio::test]
async fn the_amqp_client_stores_the_entry_and_gets_a_pong() {
    let app = TestLogger::spawn().await;
    let amqp = app.worker.amqp_client(TIMEOUT).await;
    let name = unique_name("amqp");

    let logged = amqp.call(&log_call(&name, "amqp")).await;
    assert_eq!(logged.map(|a| a.message), Ok("logged".to_owned()));
    assert_eq!(
        app.mongo.find_logs(log_filter(&name, "amqp")).await.len(),
        1
    );

    let pong = amqp.call(&Call::Ping { ping: None }).await;
    assert_eq!(pong.map(|a| a.message), Ok(protocol::PONG.to_owned()));
    app.stop().await;
}

#[tokio::test]
async fn a_request_whose_reply_to_names_another_queue_is_not_answered() {
    let app = TestLogger::spawn().await;
    let mut caller = app.raw_amqp().await;
    // Queues a worker's answer must never land in: another worker's requests,
    // the listener's events. Before, the logger published its reply to either.
    let names = &app.worker.amqp.names;
    let others = [names.request_queues.mail.clone(), names.logs_queue.clone()];
    let name = unique_name("foreign");
    for queue in &others {
        caller.declare(queue).await;
        let body = serde_json::to_vec(&log_call(&name, queue)).expect("json");
        caller.send(&body, queue).await;
    }
    // A request with the broker's kind of reply queue, sent after them, is answered.
    let ping = serde_json::to_vec(&Call::Ping { ping: None }).expect("json");
    let (_, _, answer) = caller.request(&ping).await;
    assert_eq!(answer.map(|a| a.message), Ok(protocol::PONG.to_owned()));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    for queue in &others {
        let published = caller.ready_messages(queue).await;
        assert_eq!(published, 0, "the logger published a reply to {queue}");
    }
    // Nobody could read its answer, so the call is not done either.
    for queue in &others {
        let stored = app.mongo.find_logs(log_filter(&name, queue)).await;
        assert!(stored.is_empty(), "a request replying to {queue} was done");
    }
    app.stop().await;
}
