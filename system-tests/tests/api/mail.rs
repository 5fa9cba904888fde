//! Mail over each transport reaches the SMTP catcher, rendered as the contract says.

use std::time::Duration;

use serde_json::json;
use testkit::{MailCatcher, unique_name};

use crate::helpers::{Stack, TestApp, Tuning, assert_fast_503s, over_every_transport};

over_every_transport! { sends_over:
    mail_over_http, mail_over_amqp, mail_over_rpc, mail_over_grpc,
    mail_defaults_to_http_as_the_original
}

async fn sends_over(transport: Option<&str>) {
    let app = TestApp::spawn().await;
    let to = format!("{}@example.com", unique_name("to"));
    let subject = unique_name("subject");

    let (status, body) = app
        .mail(
            transport,
            json!({"from": "me@example.com", "to": to, "subject": subject, "message": "Hello <there>"}),
        )
        .await;

    assert_eq!(status, 202, "{body}");
    assert_eq!(body["error"], false);
    assert_eq!(body["message"], format!("Message sent to {to}"));
    assert_eq!(body["transport"], transport.unwrap_or("http"));

    let catcher = MailCatcher::new();
    let mail = catcher
        .wait_for(&to, Duration::from_secs(5))
        .await
        .expect("the catcher holds the mail");
    assert_eq!(mail.subject, subject);
    assert_eq!(mail.from[0].address, "me@example.com");
    assert_eq!(
        mail.from[0].name, "flexiconnect",
        "From carries the configured name"
    );
    assert_eq!(mail.to[0].address, to);
    let source = catcher.source(&mail).await;
    assert!(source.contains("Content-Type: text/plain"), "{source}");
    assert!(source.contains("Content-Type: text/html"), "{source}");
    let html = mail.html.expect("an HTML part");
    assert!(html.contains("style="), "CSS inlined: {html}");
    assert!(
        html.contains("Hello &lt;there&gt;"),
        "message escaped in HTML: {html}"
    );
    assert!(mail.text.expect("a plain part").contains("Hello <there>"));
    app.teardown().await;
}

over_every_transport! { a_forged_from_is_only_reply_to_with_allowed_domains_over:
    forged_from_over_http, forged_from_over_amqp, forged_from_over_rpc, forged_from_over_grpc,
    forged_from_by_default
}

/// With the deployments' `MAIL_ALLOWED_DOMAINS`, a caller cannot send as someone
/// else: the mail leaves from `FROM_ADDRESS`, with the caller's `from` only as
/// `Reply-To` (before, it was the `From` header, whatever it said).
async fn a_forged_from_is_only_reply_to_with_allowed_domains_over(transport: Option<&str>) {
    let tuning =
        Tuning::default().mail(|mail| mail.mail_allowed_domains = vec!["example.com".into()]);
    let app = TestApp::spawn_tuned(Stack::ALL, tuning).await;
    let catcher = MailCatcher::new();
    for (from, sender) in [
        ("ceo@bank.example", "flexiconnect@example.com"),
        ("me@example.com", "me@example.com"),
    ] {
        let to = format!("{}@example.com", unique_name("to"));
        let mail = json!({"from": from, "to": to, "subject": "s", "message": "m"});
        let (status, body) = app.mail(transport, mail).await;
        assert_eq!(status, 202, "{body}");
        let mail = catcher
            .wait_for(&to, Duration::from_secs(5))
            .await
            .expect("caught");
        assert_eq!(mail.from[0].address, sender, "{from}");
        let source = catcher.source(&mail).await;
        let headers = source.split("\r\n\r\n").next().unwrap_or_default();
        assert_eq!(
            headers.contains(&format!("Reply-To: {from}")),
            from != sender,
            "{from}: {headers}"
        );
    }
    app.teardown().await;
}

#[tokio::test]
async fn an_empty_from_uses_the_configured_sender() {
    let app = TestApp::spawn().await;
    let to = format!("{}@example.com", unique_name("to"));
    let (status, body) = app
        .mail(
            Some("grpc"),
            json!({"from": "", "to": to, "subject": "s", "message": "m"}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let mail = MailCatcher::new()
        .wait_for(&to, Duration::from_secs(5))
        .await
        .expect("caught");
    assert_eq!(mail.from[0].address, "flexiconnect@example.com");
    app.teardown().await;
}

#[tokio::test]
async fn invalid_mail_is_400_before_anything_is_sent() {
    let app = TestApp::spawn_with(Stack::NONE).await;
    for mail in [
        json!({"to": "not-an-address", "subject": "s", "message": "m"}),
        json!({"from": "nope", "to": "you@example.com", "subject": "s", "message": "m"}),
        json!({"to": "you@example.com", "subject": "two\r\nlines", "message": "m"}),
        json!({"to": "you@example.com", "message": "m"}),
        json!({"to": "you@example.com", "subject": "s"}),
    ] {
        let (status, body) = app.mail(Some("http"), mail.clone()).await;
        assert_eq!(status, 400, "{mail}: {body}");
        assert_eq!(body["error"], true);
    }
    app.teardown().await;
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_503_within_the_timeout() {
    let tuning = Tuning::default().mail(|mail| mail.mail_port = testkit::closed_port());
    let app = TestApp::spawn_tuned(Stack::ALL, tuning).await;
    let mail = json!({"to": "you@example.com", "subject": "s", "message": "m"});
    assert_fast_503s(|transport| app.mail(Some(transport), mail.clone())).await;
    app.teardown().await;
}

over_every_transport! { a_recipient_outside_the_recipient_domains_is_refused_over:
    foreign_recipient_over_http, foreign_recipient_over_amqp, foreign_recipient_over_rpc,
    foreign_recipient_over_grpc, foreign_recipient_by_default
}

/// With `MAIL_RECIPIENT_DOMAINS`, mail goes only to those domains: another `to`
/// is a 400 and nothing is sent (before, any address was mailed).
async fn a_recipient_outside_the_recipient_domains_is_refused_over(transport: Option<&str>) {
    let tuning =
        Tuning::default().mail(|mail| mail.mail_recipient_domains = vec!["example.com".into()]);
    let app = TestApp::spawn_tuned(Stack::ALL, tuning).await;
    let catcher = MailCatcher::new();
    let foreign = format!("{}@elsewhere.example", unique_name("to"));
    let listed = format!("{}@example.com", unique_name("to"));
    let mail =
        |to: &str| json!({"from": "me@example.com", "to": to, "subject": "s", "message": "m"});
    let (status, body) = app.mail(transport, mail(&foreign)).await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = app.mail(transport, mail(&listed)).await;
    assert_eq!(status, 202, "{body}");
    let caught = catcher.wait_for(&listed, Duration::from_secs(5)).await;
    caught.expect("the listed recipient's mail is caught");
    // It was sent after the refused one: had that gone out, it would be here.
    let foreign_caught = catcher.wait_for(&foreign, Duration::ZERO).await;
    assert!(foreign_caught.is_none(), "nothing went to the other domain");
    app.teardown().await;
}
