//! RabbitMQ in compose, Swarm and Kubernetes: a user per service, no `guest`,
//! each user's permissions exactly what its code does (the names come from
//! `protocol::amqp`), and a bound on the dead-letter queue.
//! (`crate::rabbitmq_users` imports the same definitions into a RabbitMQ.)

use std::collections::{BTreeMap, BTreeSet};

use protocol::{
    Worker,
    amqp::{AmqpNames, REPLY_QUEUE_PREFIX},
};
use serde_json::Value;
use serde_norway::Value as Yaml;

use super::{compose::compose_like, k8s, root};

/// RabbitMQ's name for the default exchange in permission checks: publishing a
/// reply or a request to a queue by name is a write to it.
const DEFAULT_EXCHANGE: &str = "amq.default";

/// Each service's RabbitMQ user, by its name in the deployment files.
pub const USERS: [(&str, &str); 5] = [
    ("broker-service", "broker"),
    ("listener-service", "listener"),
    ("logger-service", "logger"),
    ("authentication-service", "authentication"),
    ("mailer-service", "mail"),
];

/// What a user must be allowed to configure, write and read, no more.
pub struct Needs {
    pub user: &'static str,
    pub configure: BTreeSet<String>,
    pub write: BTreeSet<String>,
    pub read: BTreeSet<String>,
}

/// A reply queue as RabbitMQ names it (the broker declares it without a name).
pub fn reply_queue() -> String {
    format!("{REPLY_QUEUE_PREFIX}JzTY20BRgKO-HjmUJj0wLg")
}

fn set<const N: usize>(names: [&String; N]) -> BTreeSet<String> {
    names.into_iter().cloned().collect()
}

/// What each service does on RabbitMQ (deployments use no namespace), as
/// `runtime::amqp`, `clients::amqp` and the listener do it. Declaring is
/// configure; `queue.bind` writes the queue and reads the exchange; declaring
/// the event queue with its `x-dead-letter-exchange` reads the queue and writes
/// the dead-letter exchange; publishing writes the exchange; consuming reads.
pub fn needs() -> Vec<Needs> {
    let n = AmqpNames::default();
    let (reply, default) = (reply_queue(), DEFAULT_EXCHANGE.to_owned());
    // The event topology, which the broker and the listener both declare.
    let topology = [
        &n.logs_exchange,
        &n.dead_letter_exchange,
        &n.logs_queue,
        &n.dead_letter_queue,
    ];
    let bind_write = [&n.logs_queue, &n.dead_letter_queue, &n.dead_letter_exchange];
    let bind_read = [&n.logs_exchange, &n.dead_letter_exchange, &n.logs_queue];
    let mut all = vec![
        Needs {
            user: "broker",
            configure: set(topology).into_iter().chain([reply.clone()]).collect(),
            write: set(bind_write)
                .into_iter()
                .chain([n.logs_exchange.clone(), default.clone()])
                .collect(),
            read: set(bind_read).into_iter().chain([reply]).collect(),
        },
        Needs {
            user: "listener",
            configure: set(topology),
            write: set(bind_write),
            read: set(bind_read),
        },
    ];
    for worker in Worker::ALL {
        let queue = n.request_queues.get(worker);
        all.push(Needs {
            user: worker.name(),
            configure: set([queue]),
            write: set([&default]),
            read: set([queue]),
        });
    }
    all
}

/// Every name a permission could be about: ours, RabbitMQ's own exchanges, a
/// reply queue, another application's queue.
fn every_name() -> BTreeSet<String> {
    let n = AmqpNames::default();
    let ours = [
        &n.logs_exchange,
        &n.dead_letter_exchange,
        &n.logs_queue,
        &n.dead_letter_queue,
    ];
    let request_queues = Worker::ALL.map(|w| n.request_queues.get(w).clone());
    set(ours)
        .into_iter()
        .chain(request_queues)
        .chain([DEFAULT_EXCHANGE, "amq.topic", "amq.direct", "amq.fanout"].map(String::from))
        .chain([reply_queue(), "other_app_queue".into()])
        .collect()
}

/// `project/rabbitmq/definitions.json`, the template of what RabbitMQ imports.
pub fn definitions() -> Value {
    let path = root().join("project/rabbitmq/definitions.json");
    let text = std::fs::read_to_string(&path).expect("project/rabbitmq/definitions.json");
    serde_json::from_str(&text).expect("the definitions are JSON")
}

/// Whether RabbitMQ's permission `pattern` (a regular expression, unanchored
/// unless it says so) allows `name`.
fn allows(pattern: &str, name: &str) -> bool {
    regex::Regex::new(pattern)
        .unwrap_or_else(|e| panic!("{pattern}: {e}"))
        .is_match(name)
}

#[test]
fn each_service_has_a_user_allowed_exactly_what_its_code_does() {
    let definitions = definitions();
    let users: BTreeSet<&str> = definitions["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| u["name"].as_str().expect("a name"))
        .collect();
    let expected: BTreeSet<&str> = USERS.iter().map(|(_, user)| *user).collect();
    assert_eq!(users, expected, "one user per service, no guest, no admin");
    for user in definitions["users"].as_array().expect("users") {
        assert_eq!(user["tags"], serde_json::json!([]), "{user}: no tags");
    }
    let permissions = definitions["permissions"].as_array().expect("permissions");
    assert_eq!(
        permissions.len(),
        USERS.len(),
        "one vhost, one entry per user"
    );
    for needs in needs() {
        let granted = permissions
            .iter()
            .find(|p| p["user"] == needs.user && p["vhost"] == "/")
            .unwrap_or_else(|| panic!("no permissions for {} on /", needs.user));
        let kinds = [
            ("configure", &needs.configure),
            ("write", &needs.write),
            ("read", &needs.read),
        ];
        for (kind, needed) in kinds {
            let pattern = granted[kind].as_str().expect("a pattern");
            for name in every_name() {
                assert_eq!(
                    allows(pattern, &name),
                    needed.contains(&name),
                    "{}: {kind} {pattern:?} on {name} (needed: {needed:?})",
                    needs.user
                );
            }
        }
    }
}

#[test]
fn the_dead_letter_queue_is_bounded_in_length_and_age() {
    let definitions = definitions();
    let n = AmqpNames::default();
    let policies: Vec<&Value> = definitions["policies"]
        .as_array()
        .expect("policies")
        .iter()
        .filter(|p| {
            allows(
                p["pattern"].as_str().expect("a pattern"),
                &n.dead_letter_queue,
            )
        })
        .collect();
    assert_eq!(policies.len(), 1, "one policy applies to the dead letters");
    let policy = policies[0];
    assert_eq!(policy["apply-to"], "queues");
    assert_eq!(policy["vhost"], "/");
    let others = every_name()
        .into_iter()
        .filter(|q| *q != n.dead_letter_queue);
    for other in others {
        let pattern = policy["pattern"].as_str().expect("a pattern");
        assert!(
            !allows(pattern, &other),
            "the policy also applies to {other}"
        );
    }
    let bound = |key: &str| policy["definition"][key].as_u64().unwrap_or_default();
    assert!(bound("max-length") > 0, "a length bound: {policy}");
    assert!(bound("message-ttl") > 0, "an age bound: {policy}");
}

/// Each deployment file's AMQP settings of the services, by service.
fn amqp_settings() -> Vec<(&'static str, BTreeMap<String, BTreeMap<String, String>>)> {
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
