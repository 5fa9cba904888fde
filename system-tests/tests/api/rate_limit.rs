//! Rate limits per client address: past its burst a client gets 429 JSON with
//! `Retry-After` (before, 44 668 requests in 4 s from one address all passed),
//! on every endpoint; other clients keep their own quota; `X-Forwarded-For`
//! names the client only when the peer is a trusted proxy. Off by default, as
//! the original.

use std::time::Duration;

use reqwest::header::RETRY_AFTER;
use serde_json::Value;

use crate::helpers::{Stack, TestApp, Tuning};

const BURST: usize = 5;

/// `POST {path}` with `X-Forwarded-For` when given: status, Retry-After, body.
async fn post(app: &TestApp, path: &str, forwarded_for: Option<&str>) -> (u16, Option<u64>, Value) {
    let mut request = app
        .client
        .post(format!("{}{path}", app.address))
        .body(r#"{"action":"ping"}"#);
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    let response = request.send().await.expect("the broker answers");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok()?.parse().ok());
    (
        status,
        retry_after,
        response.json().await.unwrap_or_default(),
    )
}

async fn spawn(per_second: u32, trusted_proxies: &[&str]) -> TestApp {
    let trusted: Vec<String> = trusted_proxies.iter().map(|p| p.to_string()).collect();
    let tuning = Tuning::default().broker(move |s| {
        s.rate_limit_per_second = per_second;
        s.rate_limit_burst = BURST as u32;
        s.trusted_proxies = trusted;
    });
    TestApp::spawn_tuned(Stack::NONE, tuning).await
}

/// Sends twice the burst; returns how many passed, and the first refusal.
async fn flood(
    app: &TestApp,
    path: &str,
    client: Option<&str>,
) -> (usize, Option<(Option<u64>, Value)>) {
    let mut passed = 0;
    let mut refused = None;
    for _ in 0..2 * BURST {
        match post(app, path, client).await {
            (429, retry_after, body) => {
                refused.get_or_insert((retry_after, body));
            }
            _ => passed += 1,
        }
    }
    (passed, refused)
}

#[tokio::test]
async fn a_client_past_its_burst_gets_429_with_retry_after_on_every_endpoint() {
    // One a second: the burst is all a client gets within the test's second.
    let app = spawn(1, &[]).await;
    let (passed, refused) = flood(&app, "/", None).await;
    assert!((BURST..BURST + 2).contains(&passed), "{passed} passed");
    let (retry_after, body) = refused.expect("refused past the burst");
    assert!(retry_after.is_some_and(|s| s >= 1), "{retry_after:?}");
    assert_eq!(body["error"], true, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("too many requests"),
        "{body}"
    );
    // Every endpoint shares the client's quota.
    for path in ["/handle", "/log-gRPC", "/compare"] {
        assert_eq!(post(&app, path, None).await.0, 429, "{path}");
    }
    // A forged X-Forwarded-For from a client that is not a proxy changes nothing.
    assert_eq!(post(&app, "/", Some("203.0.113.9")).await.0, 429);
    // Once the quota refills, the client is served again.
    tokio::time::sleep(Duration::from_secs(retry_after.unwrap_or(1))).await;
    assert_eq!(post(&app, "/", None).await.0, 200);
    app.teardown().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_quota() {
    let app = spawn(1, &["127.0.0.1"]).await;
    let (passed, _) = flood(&app, "/", Some("203.0.113.1")).await;
    assert!(passed < 2 * BURST, "the first client is limited");
    let (passed, _) = flood(&app, "/", Some("203.0.113.2")).await;
    assert!(
        passed >= BURST,
        "another client keeps its own quota: {passed}"
    );
    app.teardown().await;
}

#[tokio::test]
async fn without_a_limit_nobody_is_refused_as_by_the_original() {
    let app = spawn(0, &[]).await;
    let (passed, refused) = flood(&app, "/", None).await;
    assert_eq!(passed, 2 * BURST, "{refused:?}");
    app.teardown().await;
}

/// The listed page can read its 429 (CORS headers, `Retry-After` exposed), so it
/// shows the JSON message rather than a network error.
#[tokio::test]
async fn the_listed_page_reads_its_429() {
    const PAGE: &str = "http://page.example:8081";
    let tuning = Tuning::default().broker(|s| {
        s.rate_limit_per_second = 1;
        s.rate_limit_burst = 1;
        s.cors_origins = vec![PAGE.into()];
    });
    let app = TestApp::spawn_tuned(Stack::NONE, tuning).await;
    let mut last = None;
    for _ in 0..3 {
        let response = app
            .client
            .post(format!("{}/", app.address))
            .header("origin", PAGE)
            .send()
            .await
            .expect("the broker answers");
        last = Some(response);
    }
    let response = last.expect("answered");
    assert_eq!(response.status().as_u16(), 429);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase()
    };
    assert_eq!(header("access-control-allow-origin"), PAGE);
    assert!(header("access-control-expose-headers").contains("retry-after"));
    app.teardown().await;
}
