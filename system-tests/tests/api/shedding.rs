//! Load shedding: a burst of logins past authentication's bcrypt queue is shed
//! at once (503, `Retry-After`, "busy") instead of queueing until the broker's
//! deadline, on every transport; shed calls never open the circuit, so the real
//! user logs in right after the burst.

use futures::future::join_all;
use serde_json::{Value, json};

use testkit::capture_logs;

use crate::helpers::{Stack, TestApp, Tuning, over_every_transport};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "verysecret";
const BURST: usize = 100;

over_every_transport! { a_burst_of_wrong_logins_is_shed_and_the_user_still_logs_in_over:
    shedding_over_http, shedding_over_amqp, shedding_over_rpc, shedding_over_grpc,
    shedding_by_default
}

async fn a_burst_of_wrong_logins_is_shed_and_the_user_still_logs_in_over(transport: Option<&str>) {
    let logs = capture_logs();
    let stack = Stack {
        listener: false,
        mail: false,
        ..Stack::ALL
    };
    // bcrypt cost 10 (tens of milliseconds a check): a burst of 100 is seconds
    // of work, far more than the queue of 4 admits. The broker waits long
    // enough for what the queue admits even on a loaded machine.
    let tuning = Tuning::default()
        .auth(|s| {
            s.bcrypt_cost = 10;
            s.bcrypt_queue = 4;
        })
        .broker(|s| s.dispatch_timeout_ms = 20_000);
    let app = TestApp::spawn_tuned(stack, tuning).await;

    let wrong = json!({"email": ADMIN, "password": "wrong password"});
    let answers = join_all((0..BURST).map(|_| app.raw_call("auth", &wrong, transport))).await;
    let mut shed = 0;
    for (status, retry_after, body) in &answers {
        match status {
            401 => assert_eq!(body["message"], "invalid credentials", "{body}"),
            503 => {
                shed += 1;
                assert_eq!(retry_after.as_deref(), Some("1"), "{body}");
                let message = body["message"].as_str().unwrap_or_default();
                assert!(message.contains("busy"), "{body}");
            }
            other => panic!("a wrong login answered {other}: {body}"),
        }
    }
    assert!(
        shed > 0,
        "a burst of {BURST} past a queue of 4 is shed in part"
    );
    assert!(shed < BURST, "what the queue admits is checked");
    // Shedding is not a fault: no WARN line per shed call.
    let warned = logs.lines_with("dispatch failed");
    assert!(
        warned.is_empty(),
        "{} WARN lines, e.g. {}",
        warned.len(),
        warned[0]
    );

    // Right after the burst the real user logs in: shed calls did not open
    // the circuit (that would be a 503 "circuit open" now).
    let (status, body) = app.auth(transport, ADMIN, PASSWORD).await;
    assert_eq!(status, 202, "{body}");
    app.teardown().await;
}

impl TestApp {
    /// `POST /handle` for `action` with `payload`: status, `Retry-After` and body.
    async fn raw_call(
        &self,
        action: &str,
        payload: &Value,
        transport: Option<&str>,
    ) -> (u16, Option<String>, Value) {
        let mut request = json!({"action": action, action: payload});
        if let Some(transport) = transport {
            request["transport"] = json!(transport);
        }
        let response = self
            .client
            .post(format!("{}/handle", self.address))
            .json(&request)
            .send()
            .await
            .expect("the broker answers");
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = response.json().await.expect("a JSON body");
        (status, retry_after, body)
    }
}
