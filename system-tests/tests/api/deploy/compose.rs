//! docker-compose and swarm: every service's settings and reachable addresses,
//! and the files as docker, docker-compose, Caddy and promtool read them.

use std::{collections::BTreeMap, path::Path};

use serde_norway::Value;
use tokio::process::Command;

use super::{
    check_environments, dockerfile_health, host_port, listening_ports, root, specs, str_map,
};
use crate::helpers::run_to_success;

/// A YAML file with its merge keys resolved.
pub(super) fn load_yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut value: Value =
        serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    value.apply_merge().expect("merge keys resolve");
    value
}

/// A compose value with each `${NAME:-default}` replaced by its default, as
/// compose renders it when NAME is unset (the published ports' `<NAME>_HOST_PORT`).
pub(super) fn with_defaults(value: &str) -> String {
    let mut rendered = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let Some(length) = rest[start..].find('}') else {
            break;
        };
        rendered.push_str(&rest[..start]);
        let variable = &rest[start + 2..start + length];
        rendered.push_str(variable.split_once(":-").map_or("", |(_, default)| default));
        rest = &rest[start + length + 1..];
    }
    rendered.push_str(rest);
    rendered
}

/// Each service's environment in a compose or swarm file.
pub(super) fn compose_like(path: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
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

#[tokio::test]
async fn docker_caddy_and_promtool_validate_the_files() {
    let mut swarm = Command::new("docker");
    swarm
        .args(["stack", "config", "-c", "swarm.yml"])
        .current_dir(root());
    run_to_success(&mut swarm, "the docker client is installed").await;

    let mut compose = Command::new("docker-compose");
    compose
        .args(["-f", "project/docker-compose.yml", "config", "--quiet"])
        .current_dir(root())
        // What `make up` writes to project/.env (random there).
        .env("POSTGRES_PASSWORD", "checked")
        .env("MONGO_PASSWORD", "checked")
        .env("JWT_PRIVATE_KEY", "checked");
    for (_, user) in super::rabbitmq::USERS {
        let password = format!("RABBITMQ_{}_PASSWORD", user.to_uppercase());
        compose.env(password, "checked");
        compose.env(format!("NATS_{}_PASSWORD", user.to_uppercase()), "checked");
    }
    let installs = "docker-compose is installed (make -C project test installs it)";
    run_to_success(&mut compose, installs).await;

    let mut caddy = Command::new("caddy");
    caddy
        .args([
            "validate",
            "--adapter",
            "caddyfile",
            "--config",
            "Caddyfile",
        ])
        .current_dir(root());
    let installs = "caddy is installed (make -C project test installs it)";
    run_to_success(&mut caddy, installs).await;

    let mut promtool = Command::new("promtool");
    promtool
        .args(["check", "config", "project/observability/prometheus.yml"])
        .current_dir(root());
    let installs = "promtool is installed (Debian's prometheus; make -C project test installs it)";
    run_to_success(&mut promtool, installs).await;
}
