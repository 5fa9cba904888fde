//! RabbitMQ in compose, Swarm and Kubernetes: a user per service, no `guest`,
//! each user's permissions exactly what its code does (the names come from
//! `protocol::amqp`), and a bound on the dead-letter queue. ([`super::no_guest`]:
//! the deployments use these users.)
//! (`crate::rabbitmq_users` imports the same definitions into a RabbitMQ.)

use std::collections::BTreeSet;

use protocol::{
    Worker,
    amqp::{AmqpNames, REPLY_QUEUE_PREFIX},
};
use serde_json::Value;

use super::root;

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
