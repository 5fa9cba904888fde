//! The images' HEALTHCHECKs (in `project/Dockerfile`), and every health path the
//! files name, served by the running services.

use std::collections::BTreeMap;

use super::{host_port, root};
use crate::helpers::{TestApp, spawn_page};

/// `(port, path)` of each Dockerfile target's HEALTHCHECK, and its default HTTP_ADDR port.
pub fn dockerfile_health() -> BTreeMap<String, (u16, String)> {
    let text = std::fs::read_to_string(root().join("project/Dockerfile")).expect("Dockerfile");
    let mut health = BTreeMap::new();
    let mut target = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("FROM runtime AS ") {
            target = Some(rest.trim().to_owned());
        }
        if let (Some(t), Some(url)) = (
            &target,
            line.split_whitespace()
                .find(|w| w.starts_with("http://127.0.0.1")),
        ) {
            let (_, port) = host_port(url).expect("health URL");
            let path = format!("/{}", url.splitn(4, '/').nth(3).expect("a path"));
            health.insert(t.clone(), (port, path));
        }
    }
    assert!(
        text.contains("ENV RUST_LOG=info LOG_FORMAT=json HTTP_ADDR=0.0.0.0:80"),
        "images listen on 80"
    );
    health
}

#[tokio::test]
async fn every_health_path_in_the_files_is_served() {
    let app = TestApp::spawn().await;
    let (page_port, page) = spawn_page(|_| {}).await;

    let bases: BTreeMap<&str, String> = BTreeMap::from([
        ("broker", app.address.clone()),
        ("logger", app.logger_addrs.http.clone()),
        ("authentication", app.auth_addrs.http.clone()),
        ("mail", app.mail_addrs.http.clone()),
        ("listener", app.listener_health.clone().expect("a listener")),
        ("front-end", testkit::http_url(page_port)),
    ]);
    for (target, (_, path)) in dockerfile_health() {
        for path in [path.as_str(), "/ping"] {
            let url = format!("{}{path}", bases[target.as_str()]);
            let status = app.client.get(&url).send().await.expect("answers").status();
            assert!(status.is_success(), "{target} {path}: {status}");
        }
    }
    page.stop().await;
    app.teardown().await;
}
