//! The top-level Caddyfile, run by Debian's Caddy in front of the page and the
//! broker: `localhost` → the front-end, `backend` → the broker, as the original.

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
