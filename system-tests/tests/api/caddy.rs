//! The top-level Caddyfile, run by Debian's Caddy in front of the page and the
//! broker: `localhost` → the front-end, `backend` → the broker, as the original.

use runtime::service::Service;
use std::{process::Stdio, time::Duration};

use serde_json::json;
use tokio::process::Command;
use tokio_util::sync::CancellationToken;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_page_and_the_broker_answer_through_caddy() {
    let app = TestApp::spawn().await;
    let mut settings = front_end::Settings::from_env().expect("settings");
    settings.http_addr = "127.0.0.1:0".into();
    let page = front_end::Application::build(settings)
        .await
        .expect("builds");
    let page_port = page.port();
    let stop = CancellationToken::new();
    let serving = tokio::spawn(page.run_until_stopped(stop.clone()));

    let port = testkit::closed_port();
    let home = std::env::temp_dir().join(testkit::unique_name("caddy"));
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let mut caddy = Command::new("caddy")
        .args(["run", "--adapter", "caddyfile", "--config", "Caddyfile"])
        .current_dir(root)
        .env("PAGE_SITE", format!("http://localhost:{port}"))
        .env("API_SITE", format!("http://backend:{port}"))
        .env("FRONT_END", format!("127.0.0.1:{page_port}"))
        .env("BROKER", app.address.trim_start_matches("http://"))
        .env("XDG_DATA_HOME", &home)
        .env("XDG_CONFIG_HOME", &home)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("caddy runs (make -C project test installs Debian's caddy)");

    let proxy = format!("http://127.0.0.1:{port}");
    let mut page = None;
    for _ in 0..200 {
        if let Ok(r) = app
            .client
            .get(&proxy)
            .header("host", "localhost")
            .send()
            .await
        {
            page = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let page = page.expect("caddy listens");
    assert_eq!(page.status().as_u16(), 200);
    assert_eq!(page.headers()["x-content-type-options"], "nosniff");
    assert!(
        page.headers().get("server").is_none(),
        "the server header is dropped"
    );
    assert!(
        page.text()
            .await
            .expect("body")
            .contains("Test microservices")
    );

    let script = app
        .client
        .get(format!("{proxy}/static/app.js"))
        .header("host", "localhost")
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("answers");
    assert_eq!(script.headers()["content-encoding"], "gzip");
    assert!(
        script.headers()["cache-control"]
            .to_str()
            .expect("ascii")
            .contains("max-age=")
    );

    let answer = app
        .client
        .post(format!("{proxy}/handle"))
        .header("host", "backend")
        .json(&json!({"action": "log", "transport": "grpc", "log": {"name": "via-caddy", "data": "d"}}))
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status().as_u16(), 202);
    let body: serde_json::Value = answer.json().await.expect("JSON");
    assert_eq!(body["transport"], "grpc");

    caddy.kill().await.expect("caddy stops");
    let _ = std::fs::remove_dir_all(home);
    stop.cancel();
    serving.await.expect("no panic").expect("clean exit");
    app.teardown().await;
}
