//! The top-level Caddyfile, run by Debian's Caddy in front of the page and the
//! broker: `localhost` → the front-end, `backend` → the broker, as the original;
//! and the caught mail behind a password (`mail.localhost`).

use std::{process::Stdio, time::Duration};

use reqwest::Method;
use serde_json::json;
use tokio::process::Command;

use crate::helpers::{TestApp, spawn_page};

#[tokio::test]
async fn the_page_and_the_broker_answer_through_caddy() {
    let app = TestApp::spawn().await;
    let (page_port, page) = spawn_page(|_| {}).await;

    let port = testkit::closed_port();
    let home = std::env::temp_dir().join(testkit::unique_name("caddy"));
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut caddy = Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config", "Caddyfile"])
        .current_dir(root)
        .env("PAGE_SITE", format!("http://localhost:{port}"))
        .env("API_SITE", format!("http://backend:{port}"))
        .env("MAIL_SITE", format!("http://mail.localhost:{port}"))
        .env("FRONT_END", testkit::local(page_port))
        .env("BROKER", app.address.trim_start_matches("http://"))
        .env("XDG_DATA_HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("caddy runs (make -C project test installs Debian's caddy)");

    // A request to `path` of the site `host`, through Caddy.
    let proxy = format!("http://127.0.0.1:{port}");
    let to_site = |method: Method, path: &str, host: &str| {
        let request = app.client.request(method, format!("{proxy}{path}"));
        request.header("host", host)
    };
    let mut home_page = None;
    for _ in 0..200 {
        if let Ok(r) = to_site(Method::GET, "", "localhost").send().await {
            home_page = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let home_page = home_page.expect("caddy listens");
    assert_eq!(home_page.status().as_u16(), 200);
    assert_eq!(home_page.headers()["x-content-type-options"], "nosniff");
    assert!(
        home_page.headers().get("server").is_none(),
        "the server header is dropped"
    );
    let text = home_page.text().await.expect("body");
    assert!(text.contains("Test microservices"));

    let script = to_site(Method::GET, "/static/app.js", "localhost")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("answers");
    assert_eq!(script.headers()["content-encoding"], "gzip");
    let cache_control = script.headers()["cache-control"].to_str().expect("ascii");
    assert!(cache_control.contains("max-age="));

    let log =
        json!({"action": "log", "transport": "grpc", "log": {"name": "via-caddy", "data": "d"}});
    let answer = to_site(Method::POST, "/handle", "backend")
        .json(&log)
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status().as_u16(), 202);
    let body: serde_json::Value = answer.json().await.expect("JSON");
    assert_eq!(body["transport"], "grpc");

    caddy.kill().await.expect("caddy stops");
    let _ = std::fs::remove_dir_all(home);
    page.stop().await;
    app.teardown().await;
}

/// The caught mail through the Caddyfile's mail site (Swarm's MailHog; here
/// MailDev's UI, which `TEST_MAILDEV_URL` names): only with the password whose
/// bcrypt hash Caddy was given, and with nobody's while it has none.
#[tokio::test]
async fn the_caught_mail_needs_the_password_whose_hash_caddy_has() {
    let password = testkit::unique_name("pw");
    let hashed = Command::new("caddy")
        .args(["hash-password", "--plaintext", &password])
        .output()
        .await
        .expect("caddy runs (make -C project test installs Debian's caddy)");
    let hash = String::from_utf8(hashed.stdout).expect("UTF-8");
    let maildev = std::env::var(testkit::ENV_TEST_MAILDEV_URL)
        .unwrap_or_else(|_| "http://127.0.0.1:1080".into());
    let maildev = maildev.trim_start_matches("http://").trim_end_matches('/');
    let client = reqwest::Client::new();
    for (hash, opens) in [(Some(hash.trim()), true), (None, false)] {
        let port = testkit::closed_port();
        let home = std::env::temp_dir().join(testkit::unique_name("caddy"));
        let nowhere = testkit::local(testkit::closed_port());
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut command = Command::new("caddy");
        command
            .args(["run", "--adapter", "caddyfile", "--config", "Caddyfile"])
            .current_dir(root)
            .env("PAGE_SITE", format!("http://localhost:{port}"))
            .env("API_SITE", format!("http://backend:{port}"))
            .env("MAIL_SITE", format!("http://mail.localhost:{port}"))
            .env("FRONT_END", &nowhere)
            .env("BROKER", &nowhere)
            .env("MAILHOG", maildev)
            .env_remove("MAILHOG_PASSWORD_HASH")
            .env("XDG_DATA_HOME", &home)
            .env("XDG_CONFIG_HOME", &home)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        if let Some(hash) = hash {
            command.env("MAILHOG_PASSWORD_HASH", hash);
        }
        let mut caddy = command.spawn().expect("caddy runs");
        let mail = |user: Option<(&str, &str)>| {
            let request = client
                .get(format!("http://127.0.0.1:{port}/"))
                .header("host", "mail.localhost");
            match user {
                Some((name, password)) => request.basic_auth(name, Some(password)),
                None => request,
            }
        };
        let mut anonymous = None;
        for _ in 0..200 {
            if let Ok(response) = mail(None).send().await {
                anonymous = Some(response.status().as_u16());
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(anonymous, Some(401), "no password: Caddy listens and asks");
        let status = |user| async move {
            let response = mail(Some(user)).send().await.expect("caddy answers");
            response.status().as_u16()
        };
        assert_eq!(status(("mailhog", "wrong")).await, 401);
        let expected = if opens { 200 } else { 401 };
        assert_eq!(status(("mailhog", &password)).await, expected, "{hash:?}");
        caddy.kill().await.expect("caddy stops");
        let _ = std::fs::remove_dir_all(home);
    }
}
