//! The broker's binary: it stops cleanly on SIGTERM (what Docker and Swarm
//! send), and holds its memory when hostile clients hold requests open.

use std::time::Duration;

use testkit::{
    Binary,
    hostile::{
        assert_within_budget, hold, http_post_one_byte_short, json_error_statuses, until_closed,
    },
};

#[tokio::test]
async fn the_broker_binary_exits_0_on_sigterm() {
    let exit = testkit::start_and_terminate(env!("CARGO_BIN_EXE_broker"), &[], "/ping").await;
    assert!(exit.success(), "{exit:?}");
}

/// Issue 15's first finding, as it was seen: 400 connections each holding a
/// 1 MiB `/handle` body one byte short added about 540 MiB to the broker, until
/// the clients left. Now the receive budget bounds them (the excess is refused
/// at once with 503 busy), and those held are answered 408 at the deadline.
#[tokio::test]
async fn four_hundred_held_bodies_stay_within_the_budget_and_get_a_json_408() {
    let deadline = Duration::from_secs(8);
    let env = [("RECEIVE_TIMEOUT_MS", deadline.as_millis().to_string())];
    let broker = Binary::start(env!("CARGO_BIN_EXE_broker"), &env, "/ping").await;
    let idle = broker.anon_rss_bytes();
    let held = hold(broker.http, 400, || {
        http_post_one_byte_short("/handle", 1024 * 1024)
    })
    .await;
    assert_within_budget(&broker, idle, "400 held /handle bodies").await;
    let within = deadline + Duration::from_secs(5);
    let answers = futures::future::join_all(held.into_iter().map(|s| until_closed(s, within)));
    let counts = json_error_statuses(&answers.await, &["408", "503"]);
    assert!(
        counts[0] > 0,
        "the bodies held within the budget get a 408: {counts:?}"
    );
    broker.stop().await;
}
