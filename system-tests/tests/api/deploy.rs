//! The deployment files agree with the services: every container gets the
//! settings whose defaults only work on one machine, every address points at a
//! service that listens there, and every port and health path is the one the
//! service really serves.

use runtime::service::Service;
use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
    process::Command,
};

use clap::CommandFactory;
use serde::Deserialize;
use serde_norway::Value;

use crate::helpers::TestApp;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One service as the deployment files name it.
struct Spec {
    /// Its name in compose, swarm and k8s.
    name: &'static str,
    /// Its Dockerfile target.
    target: &'static str,
    /// Its settings.
    command: clap::Command,
}

fn specs() -> Vec<Spec> {
    vec![
        Spec {
            name: "broker-service",
            target: "broker",
            command: broker::Settings::command(),
        },
        Spec {
            name: "logger-service",
            target: "logger",
            command: logger::Settings::command(),
        },
        Spec {
            name: "authentication-service",
            target: "authentication",
            command: authentication::Settings::command(),
        },
        Spec {
            name: "mailer-service",
            target: "mail",
            command: mail::Settings::command(),
        },
        Spec {
            name: "listener-service",
            target: "listener",
            command: listener::Settings::command(),
        },
        Spec {
            name: "front-end",
            target: "front-end",
            command: front_end::Settings::command(),
        },
    ]
}

/// Infrastructure the services reach, with the port it listens on.
const INFRASTRUCTURE: [(&str, u16); 4] = [
    ("rabbitmq", 5672),
    ("mongo", 27017),
    ("postgres", 5432),
    ("mailhog", 1025),
];

/// Settings whose default names a loopback address: a container must set them
/// (or their `_FILE` twin).
fn required_in_containers(command: &clap::Command) -> Vec<String> {
    command
        .get_arguments()
        .filter(|arg| {
            arg.get_default_values()
                .iter()
                .any(|v| v.to_string_lossy().contains("127.0.0.1"))
        })
        .filter_map(|arg| arg.get_env().map(|e| e.to_string_lossy().into_owned()))
        .collect()
}

fn load_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut value: Value =
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    value.apply_merge().expect("merge keys resolve");
    value
}

fn load_documents(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

fn str_map(value: Option<&Value>) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    if let Some(Value::Mapping(m)) = value {
        for (k, v) in m {
            let value = match v {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => String::new(),
            };
            map.insert(k.as_str().expect("string keys").to_owned(), value);
        }
    }
    map
}

/// The port of `host:port` or `scheme://host[:port]` (80 for http without one).
fn host_port(value: &str) -> Option<(String, u16)> {
    let (rest, default) = match value.split_once("://") {
        Some(("http", rest)) => (rest, Some(80)),
        Some((_, rest)) => (rest, None),
        None => (value, None),
    };
    let authority = rest.split('/').next()?.rsplit('@').next()?;
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host.to_owned(), port.parse().ok()?)),
        None => Some((authority.to_owned(), default?)),
    }
}

/// The ports a service's environment makes it listen on.
fn listening_ports(env: &BTreeMap<String, String>) -> BTreeSet<u16> {
    env.iter()
        .filter(|(k, _)| ["HTTP_ADDR", "RPC_ADDR", "GRPC_ADDR"].contains(&k.as_str()))
        .filter_map(|(_, v)| host_port(v).map(|(_, p)| p))
        .collect()
}

/// Checks one file's services: required settings present, no loopback address,
/// every address resolvable to a listening service.
fn check_environments(file: &str, envs: &BTreeMap<String, BTreeMap<String, String>>) {
    let mut listening: BTreeMap<String, BTreeSet<u16>> = envs
        .iter()
        .map(|(name, env)| (name.clone(), listening_ports(env)))
        .collect();
    for (host, port) in INFRASTRUCTURE {
        listening.insert(host.to_owned(), BTreeSet::from([port]));
    }
    for spec in specs() {
        let env = envs
            .get(spec.name)
            .unwrap_or_else(|| panic!("{file}: no service {}", spec.name));
        for var in required_in_containers(&spec.command) {
            assert!(
                env.contains_key(&var) || env.contains_key(&format!("{var}_FILE")),
                "{file}: {} does not set {var} (its default only works on one machine)",
                spec.name
            );
        }
        for (var, value) in env {
            if var == "BROKER_URL" {
                continue; // the browser's view of the broker, from outside the network
            }
            assert!(
                !value.contains("127.0.0.1") && !value.contains("localhost:"),
                "{file}: {}.{var} = {value} is a loopback address",
                spec.name
            );
            let is_address =
                var.ends_with("_URL") || var.ends_with("_RPC_ADDR") || var == "MAIL_HOST";
            if !is_address {
                continue;
            }
            let target = if var == "MAIL_HOST" {
                let port = env
                    .get("MAIL_PORT")
                    .and_then(|p| p.parse().ok())
                    .expect("MAIL_PORT");
                (value.clone(), port)
            } else {
                host_port(value)
                    .unwrap_or_else(|| panic!("{file}: {}.{var} = {value} has no port", spec.name))
            };
            let ports = listening.get(&target.0).unwrap_or_else(|| {
                panic!(
                    "{file}: {}.{var} names {}, which is not a service here",
                    spec.name, target.0
                )
            });
            assert!(
                ports.contains(&target.1),
                "{file}: {}.{var} = {value}, but {} listens on {ports:?}",
                spec.name,
                target.0
            );
        }
    }
}

fn compose_like(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let file = load_yaml(path);
    let services = file
        .get("services")
        .and_then(Value::as_mapping)
        .expect("services");
    services
        .iter()
        .map(|(name, svc)| {
            (
                name.as_str().expect("name").to_owned(),
                str_map(svc.get("environment")),
            )
        })
        .collect()
}

/// `(port, path)` of each Dockerfile target's HEALTHCHECK, and its default HTTP_ADDR port.
fn dockerfile_health() -> BTreeMap<String, (u16, String)> {
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

#[test]
fn compose_and_swarm_give_every_service_its_settings_and_reachable_addresses() {
    for file in ["project/docker-compose.yml", "swarm.yml"] {
        let envs = compose_like(&root().join(file));
        check_environments(file, &envs);
        // The image's HEALTHCHECK probes the port the file makes the service listen on.
        let health = dockerfile_health();
        for spec in specs() {
            let (port, _) = &health[spec.target];
            let listening = listening_ports(&envs[spec.name]);
            let http = envs[spec.name]
                .get("HTTP_ADDR")
                .and_then(|a| host_port(a))
                .map(|(_, p)| p);
            assert_eq!(
                http,
                Some(*port),
                "{file}: {} HEALTHCHECK port vs HTTP_ADDR ({listening:?})",
                spec.name
            );
        }
    }
}

#[test]
fn the_k8s_manifests_match_the_services() {
    let dir = root().join("project/k8s");
    let mut docs = Vec::new();
    for file in [
        "config.yaml",
        "services.yaml",
        "infrastructure.yaml",
        "ingress.yaml",
    ] {
        docs.extend(load_documents(&dir.join(file)));
    }
    let kind = |d: &Value| {
        d.get("kind")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let name = |d: &Value| {
        d["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let configs: BTreeMap<String, BTreeMap<String, String>> = docs
        .iter()
        .filter(|d| kind(d) == "ConfigMap")
        .map(|d| (name(d), str_map(d.get("data"))))
        .collect();
    let mut envs = BTreeMap::new();
    let health = dockerfile_health();
    for d in docs
        .iter()
        .filter(|d| kind(d) == "Deployment" && specs().iter().any(|s| s.name == name(d)))
    {
        let container = &d["spec"]["template"]["spec"]["containers"][0];
        let config = container["envFrom"][0]["configMapRef"]["name"]
            .as_str()
            .expect("a ConfigMap");
        let mut env = configs
            .get(config)
            .cloned()
            .unwrap_or_else(|| panic!("no ConfigMap {config}"));
        for var in container["env"].as_sequence().into_iter().flatten() {
            env.insert(
                var["name"].as_str().expect("name").to_owned(),
                "<secret>".into(),
            );
        }
        // containerPorts are the ports the settings make it listen on.
        let declared: BTreeSet<u16> = container["ports"]
            .as_sequence()
            .expect("ports")
            .iter()
            .map(|p| p["containerPort"].as_u64().expect("port") as u16)
            .collect();
        assert_eq!(
            declared,
            listening_ports(&env),
            "{}: containerPorts vs *_ADDR",
            name(d)
        );
        // Probes hit the HTTP port, on the paths the image's HEALTHCHECK uses or /ping.
        let spec = specs()
            .into_iter()
            .find(|s| s.name == name(d))
            .expect("a spec");
        let (_, image_health) = &health[spec.target];
        for probe in ["readinessProbe", "livenessProbe"] {
            let path = container[probe]["httpGet"]["path"]
                .as_str()
                .expect("an HTTP probe");
            assert!(
                path == image_health || path == "/ping",
                "{}: {probe} {path}",
                name(d)
            );
            assert_eq!(container[probe]["httpGet"]["port"].as_str(), Some("http"));
        }
        envs.insert(name(d), env);
    }
    check_environments("k8s", &envs);
    // Every Service selects a Deployment and targets one of its named ports.
    for svc in docs.iter().filter(|d| kind(d) == "Service") {
        let app = svc["spec"]["selector"]["app"].as_str().expect("selector");
        assert!(
            docs.iter().any(
                |d| ["Deployment", "StatefulSet"].contains(&kind(d).as_str()) && name(d) == app
            ),
            "Service {} selects nothing",
            name(svc)
        );
    }
}

#[tokio::test]
async fn every_health_path_in_the_files_is_served() {
    let app = TestApp::spawn().await;
    let mut page = front_end::Settings::from_env().expect("settings");
    page.http_addr = "127.0.0.1:0".into();
    let page = front_end::Application::build(page).await.expect("builds");
    let page_url = format!("http://127.0.0.1:{}", page.port());
    let stop = tokio_util::sync::CancellationToken::new();
    let serving = tokio::spawn(page.run_until_stopped(stop.clone()));

    let bases: BTreeMap<&str, String> = BTreeMap::from([
        ("broker", app.address.clone()),
        ("logger", app.logger_addrs.http.clone()),
        ("authentication", app.auth_addrs.http.clone()),
        ("mail", app.mail_addrs.http.clone()),
        ("listener", app.listener_health.clone().expect("a listener")),
        ("front-end", page_url),
    ]);
    for (target, (_, path)) in dockerfile_health() {
        for path in [path.as_str(), "/ping"] {
            let url = format!("{}{path}", bases[target.as_str()]);
            let status = app.client.get(&url).send().await.expect("answers").status();
            assert!(status.is_success(), "{target} {path}: {status}");
        }
    }
    stop.cancel();
    serving.await.expect("no panic").expect("clean exit");
    app.teardown().await;
}

#[test]
fn docker_and_caddy_validate_the_files() {
    let swarm = Command::new("docker")
        .args(["stack", "config", "-c", "swarm.yml"])
        .current_dir(root())
        .output();
    let swarm = swarm.expect("the docker client is installed");
    assert!(
        swarm.status.success(),
        "{}",
        String::from_utf8_lossy(&swarm.stderr)
    );

    let compose = Command::new("docker-compose")
        .args(["-f", "project/docker-compose.yml", "config", "--quiet"])
        .current_dir(root())
        // What `make up` writes to project/.env (random there).
        .env("POSTGRES_PASSWORD", "checked")
        .env("MONGO_PASSWORD", "checked")
        .output()
        .expect("docker-compose is installed (make -C project test installs it)");
    assert!(
        compose.status.success(),
        "{}",
        String::from_utf8_lossy(&compose.stderr)
    );

    let caddy = Command::new("caddy")
        .args([
            "validate",
            "--adapter",
            "caddyfile",
            "--config",
            "Caddyfile",
        ])
        .current_dir(root())
        .output()
        .expect("caddy is installed (make -C project test installs it)");
    assert!(
        caddy.status.success(),
        "{}{}",
        String::from_utf8_lossy(&caddy.stdout),
        String::from_utf8_lossy(&caddy.stderr)
    );
}
