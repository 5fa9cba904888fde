//! The first call after a quiet while: a pooled connection that its worker
//! closed while it sat idle (here the workers close idle connections after
//! 1 s, and the broker keeps them for 30 s, as when a proxy or a NAT drops
//! them) is never the user's error. A call found its connection closed before
//! it went out is sent again on a new one (any call: it did not reach the
//! worker), and every action's first call after the lull answers 202; a mail is
//! sent exactly once. The same when the workers restarted during the lull, and
//! for a comparison started right after one.

use std::time::Duration;

use protocol::{Action, Transport, Worker};
use serde_json::json;
use testkit::{MailCatcher, unique_name};

use crate::helpers::{Stack, TestApp, Tuning};

/// How long a worker keeps an idle connection, in the tests.
const WORKER_IDLE_SECS: u64 = 1;
/// A lull: longer than the workers' idle timeout.
const LULL: Duration = Duration::from_millis(2_500);

/// A stack whose workers close idle connections after [`WORKER_IDLE_SECS`],
/// while the broker keeps its own for `client_idle_secs`; one failure to
/// reach a worker opens its circuit (so a reconnect that counted as one would
/// show as a 503).
async fn spawn_with(client_idle_secs: u64) -> TestApp {
    let tuning = Tuning::default()
        .logger(|s| s.server.limits.idle_timeout_secs = WORKER_IDLE_SECS)
        .auth(|s| s.server.limits.idle_timeout_secs = WORKER_IDLE_SECS)
        .mail(|s| s.server.limits.idle_timeout_secs = WORKER_IDLE_SECS)
        .broker(move |s| {
            s.limits.client_idle_secs = client_idle_secs;
            s.breaker_threshold = 1;
        });
    TestApp::spawn_tuned(Stack::ALL, tuning).await
}

/// The workers close the broker's idle connections first (the broker would
/// keep them 30 s), as a proxy or a NAT may.
async fn spawn() -> TestApp {
    spawn_with(30).await
}

/// One call of every action over `transport`, each of which must answer 202;
/// the mail goes to a recipient of its own, returned.
async fn every_action(app: &TestApp, transport: Transport, when: &str) -> String {
    let to = format!("{}@example.com", unique_name("lull"));
    for action in Action::ALL {
        let mut body = serde_json::to_value(protocol::Call::example(action)).expect("JSON");
        if action == Action::Mail {
            body["mail"]["to"] = json!(to);
        }
        body["transport"] = json!(transport);
        let (status, answer) = app.post_raw("/handle", body.to_string()).await;
        assert_eq!(status, 202, "{when}: {action} over {transport}: {answer}");
    }
    to
}

/// Every action over every transport, a lull (with `during` in it), every
/// action again: every call answers, every mail arrives exactly once.
async fn calls_around_a_lull(app: &mut TestApp, during: impl AsyncFnOnce(&mut TestApp)) {
    let mut recipients = Vec::new();
    for transport in Transport::ALL {
        recipients.push(every_action(app, transport, "before the lull").await);
    }
    tokio::time::sleep(LULL / 2).await;
    during(app).await;
    tokio::time::sleep(LULL / 2).await;
    for transport in Transport::ALL {
        recipients.push(every_action(app, transport, "after the lull").await);
    }
    let catcher = MailCatcher::new();
    for to in &recipients {
        assert!(
            catcher.wait_for(to, Duration::from_secs(5)).await.is_some(),
            "{to}"
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    for to in &recipients {
        assert_eq!(catcher.count_to(to).await, 1, "one mail to {to}");
    }
}

#[tokio::test]
async fn after_a_lull_the_first_call_of_every_action_answers_over_every_transport() {
    let mut app = spawn().await;
    calls_around_a_lull(&mut app, async |_| {}).await;
    app.teardown().await;
}

#[tokio::test]
async fn after_the_workers_restarted_during_a_lull_the_first_calls_answer() {
    let mut app = spawn().await;
    calls_around_a_lull(&mut app, async |app| {
        for worker in Worker::ALL {
            app.restart(worker).await;
        }
    })
    .await;
    app.teardown().await;
}

#[tokio::test]
async fn a_comparison_right_after_a_lull_has_no_errors() {
    let app = spawn().await;
    for transport in Transport::ALL {
        every_action(&app, transport, "before the lull").await;
    }
    tokio::time::sleep(LULL).await;
    let body = json!({"action": "ping", "requests": 20, "concurrency": 2, "warmup": 0});
    let (status, answer) = app.post_raw("/compare", body.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    let results = answer["data"]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(results.len(), Transport::ALL.len(), "{answer}");
    for result in results {
        assert_eq!(result["errors"], 0, "{result}");
        assert_eq!(result["ok"], 20, "{result}");
    }
    app.teardown().await;
}

/// Idle limits that agree (the broker's below the workers'): the broker closes
/// or pings its idle connections first, so no worker ever cuts one of them as
/// idle (`flexi_edge_refused_total{reason="idle"}`, counted by the tarpc and
/// gRPC servers, stays at 0).
#[tokio::test]
async fn with_idle_limits_that_agree_no_worker_cuts_an_idle_connection() {
    let worker_idle = WORKER_IDLE_SECS + 1;
    let tuning = Tuning::default()
        .logger(|s| s.server.limits.idle_timeout_secs = worker_idle)
        .auth(|s| s.server.limits.idle_timeout_secs = worker_idle)
        .mail(|s| s.server.limits.idle_timeout_secs = worker_idle)
        .broker(|s| s.limits.client_idle_secs = WORKER_IDLE_SECS);
    let app = TestApp::spawn_tuned(Stack::ALL, tuning).await;
    for transport in [Transport::Rpc, Transport::Grpc] {
        every_action(&app, transport, "before the lull").await;
    }
    tokio::time::sleep(Duration::from_secs(worker_idle) * 2).await;
    for transport in [Transport::Rpc, Transport::Grpc] {
        every_action(&app, transport, "after the lull").await;
    }
    let metrics = runtime::metrics::handle().render();
    let cut = metrics
        .lines()
        .find(|line| line.starts_with("flexi_edge_refused_total{reason=\"idle\"}"));
    assert_eq!(cut, None, "a worker cut an idle connection: {cut:?}");
    app.teardown().await;
}
