//! Which pages may call the broker from a browser (`CORS_ORIGINS`). With the
//! deployments' setting, a page of another origin cannot send mail: not with a
//! "simple" cross-site POST (a `text/plain` body, which browsers send without
//! asking first), not from a sandboxed page (`Origin: null`), not after a
//! preflight. The listed page, and clients that are not pages (no `Origin`), are
//! served. Unset, as on the local stack, any page is, as in the original.

use std::time::Duration;

use reqwest::{Method, header};
use serde_json::{Value, json};
use testkit::{MailCatcher, unique_name};

use crate::helpers::{Stack, TestApp, Tuning};

const PAGE: &str = "http://page.example:8081";
const OTHER: &str = "https://other.example";

fn mail_to(to: &str) -> String {
    json!({"action": "mail", "mail": {"from": "me@example.com", "to": to,
        "subject": "cross-site", "message": "Hello"}})
    .to_string()
}

/// A mail `POST /handle` as a browser sends a form-less cross-site POST: a
/// `text/plain` body, the page's `Origin` (none: not from a page).
async fn post_from(app: &TestApp, origin: Option<&str>, to: &str) -> (u16, Option<String>, Value) {
    let mut request = app
        .client
        .post(format!("{}/handle", app.address))
        .header(header::CONTENT_TYPE, "text/plain;charset=UTF-8")
        .body(mail_to(to));
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    let response = request.send().await.expect("the broker answers");
    let status = response.status().as_u16();
    let allowed = response
        .headers()
        .get(header::ACCESS_CONTROL_ALLOW_ORIGIN)
        .map(|v| v.to_str().expect("an ASCII header").to_owned());
    (status, allowed, response.json().await.expect("a JSON body"))
}

async fn spawn(origins: &[&str]) -> TestApp {
    let stack = Stack {
        listener: false,
        ..Stack::ALL
    };
    let origins: Vec<String> = origins.iter().map(|o| o.to_string()).collect();
    let tuning = Tuning::default().broker(move |s| s.cors_origins = origins);
    TestApp::spawn_tuned(stack, tuning).await
}

#[tokio::test]
async fn with_cors_origins_only_the_listed_page_can_send_mail() {
    let app = spawn(&[PAGE]).await;
    let catcher = MailCatcher::new();

    let forged = format!("{}@example.com", unique_name("forged"));
    for origin in [OTHER, "null", "http://page.example:8082"] {
        let (status, allowed, body) = post_from(&app, Some(origin), &forged).await;
        assert_eq!(status, 403, "{origin}: {body}");
        assert_eq!(body["error"], true, "{body}");
        let message = body["message"].as_str().expect("a message");
        assert!(message.contains("CORS_ORIGINS"), "{message}");
        assert_eq!(allowed, None, "{origin}: no CORS header for another page");
    }
    // Its preflight is refused too.
    let preflight = app
        .client
        .request(Method::OPTIONS, format!("{}/handle", app.address))
        .header(header::ORIGIN, OTHER)
        .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(header::ACCESS_CONTROL_REQUEST_HEADERS, "content-type")
        .send()
        .await
        .expect("the broker answers");
    assert_eq!(preflight.status().as_u16(), 403);

    // The page itself is served, with its CORS header, and so is a client that
    // is not a page.
    let from_page = format!("{}@example.com", unique_name("page"));
    let (status, allowed, body) = post_from(&app, Some(PAGE), &from_page).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(allowed.as_deref(), Some(PAGE));
    let from_curl = format!("{}@example.com", unique_name("curl"));
    let (status, _, body) = post_from(&app, None, &from_curl).await;
    assert_eq!(status, 202, "{body}");

    // Both were sent; the refused ones, sent before them, were not.
    for to in [&from_page, &from_curl] {
        assert!(
            catcher.wait_for(to, Duration::from_secs(5)).await.is_some(),
            "{to}"
        );
    }
    assert!(
        catcher.wait_for(&forged, Duration::ZERO).await.is_none(),
        "a page of another origin sent mail"
    );
    app.teardown().await;
}

#[tokio::test]
async fn without_cors_origins_any_page_is_served_as_by_the_original() {
    let app = spawn(&[]).await;
    let to = format!("{}@example.com", unique_name("any"));
    let (status, allowed, body) = post_from(&app, Some(OTHER), &to).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(allowed.as_deref(), Some(OTHER));
    let catcher = MailCatcher::new();
    assert!(
        catcher
            .wait_for(&to, Duration::from_secs(5))
            .await
            .is_some()
    );
    app.teardown().await;
}
