//! Login over each transport: the user without its password, one 401 for every
//! bad login, and no hash anywhere.

use std::time::Duration;

use testkit::{capture_logs, log_filter};

use crate::helpers::{Stack, TestApp, Tuning, assert_fast_503s, over_every_transport};

const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "verysecret";

/// A bcrypt hash starts `$2a$`, `$2b$` or `$2y$`.
fn assert_no_secret(text: &str, place: &str) {
    for marker in ["$2a$", "$2b$", "$2y$", PASSWORD] {
        assert!(
            !text.contains(marker),
            "{place} contains {marker:?}: {text}"
        );
    }
}

over_every_transport! { logs_in_over:
    auth_over_http, auth_over_amqp, auth_over_rpc, auth_over_grpc,
    auth_defaults_to_http_as_the_original
}

async fn logs_in_over(transport: Option<&str>) {
    let logs = capture_logs();
    let app = TestApp::spawn().await;
    let mut bodies = Vec::new();

    let (status, body) = app.auth(transport, ADMIN, PASSWORD).await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["error"], false);
    assert_eq!(body["message"], "Authenticated");
    assert_eq!(body["transport"], transport.unwrap_or("http"));
    let user = &body["data"];
    assert_eq!(user["email"], ADMIN);
    assert_eq!(user["active"], 1);
    assert!(user.get("password").is_none(), "{user}");
    bodies.push(body.clone());

    for (email, password) in [(ADMIN, "wrong password"), ("nobody@example.com", PASSWORD)] {
        let (status, body) = app.auth(transport, email, password).await;
        assert_eq!(status, 401, "{email}: {body}");
        assert_eq!(body["error"], true);
        assert_eq!(
            body["message"], "invalid credentials",
            "one message for both"
        );
        bodies.push(body);
    }

    // The original's side effect: the login is logged through the logger.
    let logged = app
        .mongo
        .wait_for_logs(
            log_filter("authentication", &format!("{ADMIN} logged in")),
            1,
            Duration::from_secs(5),
        )
        .await;
    assert_eq!(logged, 1);

    for body in &bodies {
        assert_no_secret(&body.to_string(), "an answer");
    }
    let captured = logs.contents();
    assert!(
        captured.contains("rejected a login"),
        "log capture is active"
    );
    assert_no_secret(&captured, "the logs");
    // Every line logged while serving a call names its trace: the worker's and
    // the broker's lines about each refused login carry the answer's trace id.
    for body in &bodies[1..] {
        let trace_id = &body["trace_id"];
        assert!(trace_id.is_string(), "a trace id in every answer: {body}");
        for line in ["rejected a login", "rejected a request"] {
            let lines = logs.lines_with(line);
            let of_this_call = lines.iter().any(|l| &l["trace_id"] == trace_id);
            assert!(of_this_call, "no {line:?} of trace {trace_id}: {lines:#?}");
        }
    }
    app.teardown().await;
}

#[tokio::test]
async fn invalid_credentials_bodies_are_400() {
    let app = TestApp::spawn_with(Stack::NONE).await;
    for auth in [
        r#"{"action":"auth"}"#,
        r#"{"action":"auth","auth":{"email":"admin@example.com"}}"#,
        r#"{"action":"auth","auth":{"email":"not-an-email","password":"x"}}"#,
        r#"{"action":"auth","auth":{"email":"admin@example.com","password":""}}"#,
        r#"{"action":"auth","auth":{"email":"' OR 1=1 --","password":"x"}}"#,
        r#"{"action":"auth","auth":{"email":5,"password":"x"}}"#,
    ] {
        let (status, body) = app.post_raw("/handle", auth).await;
        assert_eq!(status, 400, "{auth}: {body}");
        assert_eq!(body["error"], true);
    }
    app.teardown().await;
}

#[tokio::test]
async fn an_unreachable_postgres_is_503_within_the_timeout() {
    let unreachable_postgres = |auth: &mut authentication::Settings| {
        auth.dsn = format!(
            "postgres://postgres:password@127.0.0.1:{}/users",
            testkit::closed_port()
        )
        .into();
        auth.pg_timeout_ms = 300;
    };
    let tuning = Tuning::default().auth(unreachable_postgres);
    let app = TestApp::spawn_tuned(Stack::ALL, tuning).await;
    assert_fast_503s(|transport| app.auth(Some(transport), ADMIN, PASSWORD)).await;
    app.teardown().await;
}
