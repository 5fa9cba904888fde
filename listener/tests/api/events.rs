//! Events of `logs_topic`: stored through the logger, or dead-lettered.

use std::time::Duration;

use lapin::options::BasicGetOptions;
use testkit::{filter, log_filter, unique_name};

use crate::helpers::{Stack, event};

#[tokio::test]
async fn events_of_every_severity_are_stored() {
    let stack = Stack::spawn().await;
    let name = unique_name("sev");
    for key in ["log.INFO", "log.WARNING", "log.ERROR"] {
        stack.publish_event(key, &event(&name, key)).await;
    }
    let stored = stack
        .mongo
        .wait_for_logs(filter! {"name": &name}, 3, Duration::from_secs(10))
        .await;
    assert_eq!(stored, 3);
    stack.stop().await;
}

#[tokio::test]
async fn poison_events_go_to_the_dead_letter_queue_and_do_not_block_the_rest() {
    let stack = Stack::spawn().await;
    stack.publish_event("log.INFO", b"not json").await;
    stack
        .publish_event("log.INFO", br#"{"name": "", "data": "blank name"}"#)
        .await;
    let name = unique_name("after");
    stack.publish_event("log.INFO", &event(&name, "ok")).await;

    assert_eq!(
        stack
            .mongo
            .wait_for_logs(log_filter(&name, "ok"), 1, Duration::from_secs(10))
            .await,
        1
    );
    let mut dead = Vec::new();
    for _ in 0..100 {
        if let Some(message) = stack
            .channel
            .basic_get(
                stack.amqp.names.dead_letter_queue.as_str().into(),
                BasicGetOptions { no_ack: true },
            )
            .await
            .expect("basic.get")
        {
            dead.push(message.delivery.data);
            if dead.len() == 2 {
                break;
            }
        } else {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    dead.sort();
    let mut expected = vec![
        br#"{"name": "", "data": "blank name"}"#.to_vec(),
        b"not json".to_vec(),
    ];
    expected.sort();
    assert_eq!(dead, expected);
    stack.stop().await;
}
