//! The images' HEALTHCHECKs (in `project/Dockerfile`), and every health path the
//! files name, served by the running services.

use std::collections::BTreeMap;

use super::{host_port, root};
use crate::helpers::{TestApp, spawn_page};

/// `(port, path)` of each Dockerfile target's HEALTHCHECK, and its default
/// HTTP_ADDR port: the runtime stage's one HEALTHCHECK, on the `HEALTH_PATH`
/// each target inherits or sets.
pub fn dockerfile_health() -> BTreeMap<String, (u16, String)> {
    let text = std::fs::read_to_string(root().join("project/Dockerfile")).expect("Dockerfile");
    let url = text
        .split_whitespace()
        .find(|w| w.trim_matches('"').starts_with("http://127.0.0.1"))
        .expect("a HEALTHCHECK URL")
        .trim_matches('"');
    assert!(url.ends_with("/${HEALTH_PATH}"), "{url}");
    let (_, port) = host_port(url).expect("health URL");
    let (mut health, mut stage, mut default) = (BTreeMap::new(), None::<String>, None);
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("FROM ") {
            stage = rest
                .split_once(" AS ")
                .map(|(_, name)| name.trim().to_owned());
        }
        let (Some(name), Some(path)) = (&stage, line.strip_prefix("ENV HEALTH_PATH=")) else {
            continue;
        };
        match name.as_str() {
            "runtime" => default = Some(format!("/{path}")),
            _ => _ = health.insert(name.clone(), (port, format!("/{path}"))),
        }
    }
    let default = default.expect("the runtime stage's HEALTH_PATH");
    for line in text.lines() {
        if let Some(target) = line.strip_prefix("FROM runtime AS ") {
            health
                .entry(target.trim().to_owned())
                .or_insert_with(|| (port, default.clone()));
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

#[test]
fn every_image_has_a_healthcheck_on_its_own_path() {
    let health = dockerfile_health();
    let paths: Vec<(&str, &str)> = health
        .iter()
        .map(|(target, (_, path))| (target.as_str(), path.as_str()))
        .collect();
    assert_eq!(
        paths,
        [
            ("authentication", "/health"),
            ("broker", "/ping"),
            ("front-end", "/ping"),
            ("listener", "/health"),
            ("logger", "/health"),
            ("mail", "/health"),
        ]
    );
}
