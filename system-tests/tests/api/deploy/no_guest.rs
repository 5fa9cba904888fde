//! No deployment connects to RabbitMQ as `guest`: each service as its own user
//! ([`super::rabbitmq::USERS`]), whose password is never in the files, and
//! RabbitMQ loads the users' definitions.

use std::collections::BTreeMap;

use serde_norway::Value as Yaml;

use super::{compose::compose_like, k8s, rabbitmq::USERS, root};

/// Each service's environment, by its name in a deployment file.
type Environments = BTreeMap<String, BTreeMap<String, String>>;

/// Each deployment file's environments of the services.
fn amqp_settings() -> Vec<(&'static str, Environments)> {
    let mut files = Vec::new();
    for file in ["project/docker-compose.yml", "swarm.yml"] {
        files.push((file, compose_like(&root().join(file))));
    }
    let docs = k8s::k8s_documents();
    let ours = |d: &&Yaml| USERS.iter().any(|(service, _)| k8s::name(d) == *service);
    let deployments = docs
        .iter()
        .filter(|d| k8s::kind(d) == "Deployment")
        .filter(ours);
    let k8s = deployments
        .map(|d| (k8s::name(d), k8s::container_env(&docs, d)))
        .collect();
    files.push(("k8s", k8s));
    files
}

#[test]
fn no_deployment_connects_as_guest_each_service_as_its_own_user() {
    for (file, envs) in amqp_settings() {
        for (service, user) in USERS {
            let env = &envs[service];
            let url = env.get("AMQP_URL").map(String::as_str);
            let url_file = env.get("AMQP_URL_FILE").map(String::as_str);
            match (file, url, url_file) {
                // Compose: the password from project/.env.
                ("project/docker-compose.yml", Some(url), None) => {
                    let password = format!("${{RABBITMQ_{}_PASSWORD:?", user.to_uppercase());
                    let expected = format!("amqp://{user}:{password}");
                    assert!(url.starts_with(&expected), "{file}: {service} {url}");
                }
                // Swarm: the whole URL is a secret of the service's own.
                ("swarm.yml", None, Some(path)) => {
                    assert_eq!(path, format!("/run/secrets/{user}_amqp_url"), "{file}");
                }
                // Kubernetes: from flexi-secrets (k8s::container_env shows `<secret>`).
                ("k8s", Some("<secret>"), None) => {}
                _ => panic!("{file}: {service} AMQP_URL {url:?}, AMQP_URL_FILE {url_file:?}"),
            }
            assert!(
                !url.unwrap_or_default().contains("guest"),
                "{file}: {service}"
            );
        }
    }
    // What makes the Swarm secrets and the Kubernetes Secret: the same users.
    let script = root().join("project/scripts/rabbitmq-users.sh");
    let output = std::process::Command::new(script)
        .args(["url", "broker"])
        .env("RABBITMQ_BROKER_PASSWORD", "checked")
        .output()
        .expect("rabbitmq-users.sh runs");
    let url = String::from_utf8(output.stdout).expect("UTF-8");
    assert_eq!(url, "amqp://broker:checked@rabbitmq:5672/%2f");
    let swarm = std::fs::read_to_string(root().join("project/scripts/swarm-secrets.sh"));
    let k8s = std::fs::read_to_string(root().join("project/scripts/k8s-secrets.sh"));
    for script in [
        swarm.expect("swarm-secrets.sh"),
        k8s.expect("k8s-secrets.sh"),
    ] {
        assert!(script.contains("rabbitmq-users.sh"));
    }
}

#[test]
fn rabbitmq_loads_the_definitions_and_lets_guest_in_from_nowhere() {
    let conf = std::fs::read_to_string(root().join("project/rabbitmq/rabbitmq.conf"))
        .expect("project/rabbitmq/rabbitmq.conf");
    let lines: Vec<&str> = conf.lines().map(str::trim).collect();
    assert!(lines.contains(&"load_definitions = /run/secrets/rabbitmq_definitions"));
    assert!(lines.contains(&"loopback_users.guest = true"));
    let conf_d = "/etc/rabbitmq/conf.d/20-flexiconnect.conf";
    for file in ["project/docker-compose.yml", "swarm.yml"] {
        let yaml = super::compose::load_yaml(&root().join(file));
        let rabbitmq = &yaml["services"]["rabbitmq"];
        let secrets = serde_norway::to_string(&rabbitmq["secrets"]).expect("YAML");
        assert!(
            secrets.contains("rabbitmq_definitions"),
            "{file}: {secrets}"
        );
        let mounts = serde_norway::to_string(rabbitmq).expect("YAML");
        assert!(
            mounts.contains(conf_d),
            "{file}: rabbitmq.conf not in conf.d"
        );
    }
    let docs = k8s::k8s_documents();
    let rabbitmq = docs
        .iter()
        .find(|d| k8s::kind(d) == "Deployment" && k8s::name(d) == "rabbitmq")
        .expect("a RabbitMQ Deployment");
    let mounts = &rabbitmq["spec"]["template"]["spec"]["containers"][0]["volumeMounts"];
    let paths: Vec<&str> = mounts
        .as_sequence()
        .expect("volumeMounts")
        .iter()
        .filter_map(|m| m["mountPath"].as_str())
        .collect();
    assert!(paths.contains(&conf_d), "k8s: {paths:?}");
    assert!(
        paths.contains(&"/run/secrets/rabbitmq_definitions"),
        "k8s: {paths:?}"
    );
}
