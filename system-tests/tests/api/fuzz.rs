//! Property tests of the HTTP edge: whatever arrives, `/handle` and `/compare`
//! answer with the JSON error body and a 4xx, and never fail, hang or crash —
//! except a 503 for a well-formed call whose worker is not running (this broker
//! has none).

use proptest::{
    prelude::*,
    strategy::{Strategy, ValueTree},
    test_runner::TestRunner,
};
use serde_json::{Value, json};

use crate::helpers::{Stack, TestApp};

/// Any JSON value, nested a few levels.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        ".{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,12}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bodies shaped like the contract's, with every field free to be anything.
fn contract_like() -> impl Strategy<Value = Value> {
    let action = prop_oneof![
        Just(json!("auth")),
        Just(json!("log")),
        Just(json!("mail")),
        Just(json!("ping")),
        any_json()
    ];
    let email = prop_oneof![
        Just(json!("admin@example.com")),
        Just(json!("' OR '1'='1' --@example.com")),
        Just(json!("admin@example.com'; DROP TABLE users; --")),
        ".{0,30}".prop_map(Value::String),
        any_json()
    ];
    (action, email, any_json(), any_json(), any_json()).prop_map(|(action, email, a, b, c)| {
        json!({
            "action": action,
            "transport": a,
            "auth": {"email": email, "password": b},
            "log": {"name": c, "data": "d"},
            "mail": {"to": email, "subject": "s", "message": "m"},
            "requests": 3,
            "concurrency": 1,
            "transports": ["http"],
        })
    })
}

fn check(status: u16, body: &Value, path: &str, input: &[u8]) {
    let input = String::from_utf8_lossy(input);
    assert!(
        (400..500).contains(&status) || status == 503 || status == 200 && body["error"] == false,
        "status {status} on {path} for {input}: {body}"
    );
    if status != 200 {
        assert_eq!(body["error"], json!(true), "{path} for {input}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{path} for {input}: {body}"
        );
    }
}

/// Sends `cases` values of `strategy`, alternately to `/handle` and `/compare`.
/// The runner is deterministic, so a failure reproduces with the same input.
async fn run(app: &TestApp, strategy: impl Strategy<Value = Vec<u8>>, cases: usize) {
    let mut runner = TestRunner::deterministic();
    for case in 0..cases {
        let body = strategy.new_tree(&mut runner).expect("a value").current();
        let path = ["/handle", "/compare"][case % 2];
        let (status, answer) = app.post_raw(path, body.clone()).await;
        check(status, &answer, path, &body);
    }
}

#[tokio::test]
async fn random_json_is_always_answered_with_a_json_4xx() {
    let app = TestApp::spawn_with(Stack::NONE).await;
    run(
        &app,
        any_json().prop_map(|v| v.to_string().into_bytes()),
        200,
    )
    .await;
    run(
        &app,
        contract_like().prop_map(|v| v.to_string().into_bytes()),
        300,
    )
    .await;
    app.teardown().await;
}

#[tokio::test]
async fn random_bytes_huge_strings_and_deep_nesting_are_4xx() {
    let app = TestApp::spawn_with(Stack::NONE).await;
    run(&app, prop::collection::vec(any::<u8>(), 0..512), 200).await;
    let nested = |depth: usize| format!("{}1{}", "[".repeat(depth), "]".repeat(depth)).into_bytes();
    for depth in [100, 129, 10_000] {
        for path in ["/handle", "/compare"] {
            let (status, body) = app.post_raw(path, nested(depth)).await;
            assert_eq!(status, 400, "depth {depth} on {path}: {body}");
        }
    }
    let huge_name = json!({"action": "log", "transport": "http", "log": {"name": "n".repeat(900_000), "data": ""}});
    let (status, body) = app.post_raw("/handle", huge_name.to_string()).await;
    assert_eq!(status, 400, "{body}");
    let over_limit = json!({"action": "log", "log": {"name": "n", "data": "d".repeat(2_000_000)}});
    for path in ["/handle", "/compare", "/log-gRPC"] {
        let (status, body) = app.post_raw(path, over_limit.to_string()).await;
        assert_eq!(status, 413, "{path}: {body}");
    }
    app.teardown().await;
}
