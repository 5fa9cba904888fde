//! The deployment files agree with the services: every container gets the
//! settings whose defaults only work on one machine, every address points at a
//! service that listens there, and every port and health path is the one the
//! service really serves.
//!
//! - [`compose`]: docker-compose and swarm files, and the tools' own checks.
//! - [`k8s`]: the Kubernetes manifests.
//! - [`dockerfile`]: the images' health checks, served by the services.
//! - [`observability`]: Prometheus and Jaeger in compose, swarm and k8s.
//! - [`grafana`]: compose's Grafana and its dashboard's queries ([`promql`]).
//! - [`rabbitmq`]: RabbitMQ's users (one per service), their permissions and
//!   the dead-letter queue's bound; [`no_guest`]: the deployments use them.
//! - [`nats`]: NATS in compose, Swarm and Kubernetes: JetStream on a volume,
//!   a healthcheck, a user per service whose subjects are its code's, no
//!   anonymous access; [`nats_users`]: the services run as those users.
//! - [`mailhog`]: Swarm's caught-mail UI, only through Caddy with a password.
//! - [`standins`]: the compose check's stand-ins for the infrastructure images.

mod compose;
mod dockerfile;
mod grafana;
mod k8s;
mod mailhog;
mod nats;
mod nats_users;
mod no_guest;
mod observability;
mod promql;
pub mod rabbitmq;
mod standins;

use std::{
    collections::{BTreeMap, BTreeSet},
    path::{Path, PathBuf},
};

use clap::CommandFactory;
use serde_norway::Value;

pub use dockerfile::dockerfile_health;

/// The workspace's root, where the deployment files are.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One service as the deployment files name it.
pub struct Spec {
    /// Its name in compose, swarm and k8s.
    pub name: &'static str,
    /// Its Dockerfile target.
    pub target: &'static str,
    /// Its settings.
    pub command: clap::Command,
}

pub fn specs() -> Vec<Spec> {
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
const INFRASTRUCTURE: [(&str, u16); 5] = [
    ("rabbitmq", 5672),
    ("nats", 4222),
    ("mongo", 27017),
    ("postgres", 5432),
    ("mailhog", 1025),
];

/// Settings open by default, as the original (the local stack), that every
/// deployment narrows: the pages that may call the broker, the rate a client
/// may call it at, the senders a mail may have.
const NARROWED_IN_DEPLOYMENTS: [(&str, &str); 5] = [
    ("mailer-service", mail::settings::ENV_MAIL_RECIPIENT_DOMAINS),
    ("broker-service", broker::settings::ENV_TOKEN_REQUIRED_FOR),
    ("broker-service", broker::settings::ENV_CORS_ORIGINS),
    (
        "broker-service",
        broker::settings::ENV_RATE_LIMIT_PER_SECOND,
    ),
    ("mailer-service", mail::settings::ENV_MAIL_ALLOWED_DOMAINS),
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

/// A YAML mapping's scalar values as strings (what an environment holds).
pub fn str_map(value: Option<&Value>) -> BTreeMap<String, String> {
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
        for (service, var) in NARROWED_IN_DEPLOYMENTS {
            assert!(
                spec.name != service
                    || env
                        .get(var)
                        .is_some_and(|v| !v.trim().is_empty() && v.trim() != "0"),
                "{file}: {service} does not set {var} (open to anyone by default)"
            );
        }
        if spec.name == "broker-service" {
            let required = &env[broker::settings::ENV_TOKEN_REQUIRED_FOR];
            // What sends mail, costs, or reads what others stored.
            for what in ["mail", "logs", "compare"] {
                assert!(
                    required.split(',').any(|w| w.trim() == what),
                    "{file}: the broker's TOKEN_REQUIRED_FOR ({required}) leaves {what} open"
                );
            }
        }
        if spec.name == "authentication-service" {
            use authentication::settings::{ENV_JWT_PRIVATE_KEY, ENV_JWT_PRIVATE_KEY_FILE};
            assert!(
                env.contains_key(ENV_JWT_PRIVATE_KEY) || env.contains_key(ENV_JWT_PRIVATE_KEY_FILE),
                "{file}: authentication has no JWT_PRIVATE_KEY: each replica would sign with its own"
            );
        }
        for (var, value) in env {
            if var == "BROKER_URL" || var == "CORS_ORIGINS" {
                continue; // the browser's view (of the broker, of the page), from outside the network
            }
            if value == "<secret>" {
                continue; // from a Kubernetes Secret (AMQP_URL: see rabbitmq.rs)
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
