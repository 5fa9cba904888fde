//! The proof that the rate mode measures what a stall does to the calls
//! behind it (no coordinated omission) where the closed mode cannot.

use std::time::Duration;

use protocol::compare::TransportStats;
use serde_json::{Value, json};
use testkit::TcpProxy;

use crate::{
    compare_modes::{report_of, stream},
    helpers::{Stack, TestApp, Tuning},
};

/// A broker whose HTTP calls to the logger go through a proxy the test can stall.
async fn behind_a_proxy() -> (TestApp, TcpProxy) {
    let mut proxy = None;
    let tuning = Tuning::default().broker(|s| {
        let target = s.logger_url.trim_start_matches("http://").to_owned();
        let started = TcpProxy::start_now(&target);
        s.logger_url = format!("http://127.0.0.1:{}", started.port());
        // The closed run stops after this; the stall is in its second second.
        s.compare_max_seconds = 4;
        proxy = Some(started);
    });
    let app = TestApp::spawn_tuned(Stack::NO_LISTENER, tuning).await;
    (app, proxy.expect("the proxy started"))
}

/// Runs `body` streamed and stalls the logger for [`STALL`] once, at the first
/// progress of the measured run (about a second into it).
async fn stalled_once(app: &TestApp, proxy: &TcpProxy, body: Value) -> TransportStats {
    let mut stalled = false;
    let events = stream(app, &body, |name, data| {
        if name == "progress" && data["phase"] == "measure" && !stalled {
            proxy.stall(STALL);
            stalled = true;
        }
    })
    .await;
    assert!(stalled, "the run lasted past its first progress");
    report_of(&events).results.remove(0)
}

const STALL: Duration = Duration::from_millis(500);

#[tokio::test]
async fn a_stall_shows_in_the_rate_modes_p99_and_not_in_the_closed_modes() {
    let (app, proxy) = behind_a_proxy().await;

    // 200 calls a second for 3 s, one in flight at most: while the logger is
    // stalled for 500 ms, the 100 calls planned in that time cannot leave.
    // Counted from their planned times they waited 500 ms down to 0, so the
    // slowest 1 % (6 of 600, planned in the stall's first 30 ms) took at
    // least 470 ms: p99 ≥ 400 ms. Counted from their sends (what a closed
    // loop measures), only the one call in flight saw the stall: the service
    // p99 stays at the usual few milliseconds.
    let rate = stalled_once(
        &app,
        &proxy,
        json!({"action": "ping", "mode": "rate", "rate": 200, "duration": 3, "warmup": 0,
               "concurrency": 1, "transports": ["http"]}),
    )
    .await;
    let service = rate.service.expect("service times");
    assert_eq!((rate.ok, rate.errors), (600, 0), "{rate:?}");
    assert!(
        rate.p99_ms >= 400.0,
        "the stall counts against the calls behind it: {rate:?}"
    );
    assert!(
        service.service_max_ms >= 400.0,
        "one call waited through it: {rate:?}"
    );
    assert!(
        service.service_p99_ms < 100.0,
        "sends alone hide it: {rate:?}"
    );
    assert!(
        rate.late.expect("late") >= 50,
        "the calls behind it left late: {rate:?}"
    );

    // The same stall in a closed loop (one call at a time, as many as it can
    // in its 4 s): it waits through the stall with its one call and sends
    // nothing meanwhile, so one call in hundreds is slow and p99 is not.
    let closed = stalled_once(
        &app,
        &proxy,
        json!({"action": "ping", "requests": 10_000, "concurrency": 1, "warmup": 0,
               "transports": ["http"]}),
    )
    .await;
    assert!(
        closed.max_ms >= 400.0,
        "the stall happened during the run: {closed:?}"
    );
    assert!(closed.ok >= 200, "{closed:?}");
    assert!(
        closed.p99_ms < 100.0,
        "coordinated omission hides it: {closed:?}"
    );
    app.teardown().await;
}
