//! RabbitMQ names and messages.
//!
//! Two paths use RabbitMQ:
//! - **Events** (the Go original's path): the broker publishes a [`crate::LogPayload`] as
//!   JSON to the durable topic exchange `logs_topic` with routing key `log.INFO`;
//!   the listener's durable queue is bound to `log.INFO`, `log.WARNING` and
//!   `log.ERROR`, stores each event through the logger, and acks only after the
//!   logger confirmed. Poison messages go to a dead-letter queue.
//! - **Request/reply** (ours): the broker publishes a [`Call`] (the `/handle` JSON)
//!   to the serving worker's own request queue with `correlation_id` and
//!   `reply_to`; the worker does the work and publishes its [`crate::Reply`]
//!   back to `reply_to`. The same shape as HTTP, tarpc and gRPC: broker → transport →
//!   worker → transport → broker.
//!
//! Every name can carry a namespace suffix ([`AmqpNames::new`]) so that tests, or
//! two stacks on one RabbitMQ, never share a queue.

#[cfg(doc)]
use crate::Call;
use crate::{PerWorker, Worker};

/// The topic exchange log events are published to (as in the original).
pub const LOGS_EXCHANGE: &str = "logs_topic";
/// The listener's durable queue of log events.
pub const LOGS_QUEUE: &str = "logs_listener";
/// Where rejected (poison) log events are routed.
pub const DEAD_LETTER_EXCHANGE: &str = "logs_topic.dead";
/// The queue that keeps poison log events for inspection.
pub const DEAD_LETTER_QUEUE: &str = "logs_listener.dead";
/// The suffix of each worker's request/reply queue (`logger_requests`, …).
pub const REQUEST_QUEUE_SUFFIX: &str = "_requests";
/// How RabbitMQ names a queue declared without a name (`amq.gen-…`): the broker's
/// reply queues are such queues. No client can declare a queue whose name starts
/// with `amq.`, so a `reply_to` with this prefix names a server-named queue, never
/// a service's own (a worker's requests, the listener's events).
pub const REPLY_QUEUE_PREFIX: &str = "amq.gen-";
/// The routing key the broker publishes log events with (the original's `log.INFO`).
pub const DEFAULT_ROUTING_KEY: &str = "log.INFO";
/// The routing keys the listener's queue is bound to (the original's severities).
pub const LOG_ROUTING_KEYS: [&str; 3] = ["log.INFO", "log.WARNING", "log.ERROR"];

/// The names of every exchange and queue, optionally suffixed by a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmqpNames {
    /// The namespace the names carry (empty: the original names).
    pub namespace: String,
    /// Topic exchange of log events (`logs_topic`).
    pub logs_exchange: String,
    /// The listener's durable event queue.
    pub logs_queue: String,
    /// Dead-letter exchange for poison events.
    pub dead_letter_exchange: String,
    /// Dead-letter queue for poison events.
    pub dead_letter_queue: String,
    /// Each worker's request/reply queue (`logger_requests`, …).
    pub request_queues: PerWorker<String>,
}

impl AmqpNames {
    /// The contract's names, each suffixed by `.{namespace}` unless the namespace is
    /// empty (the default: the names of the Go original).
    pub fn new(namespace: &str) -> Self {
        let name = |base: &str| {
            if namespace.is_empty() {
                base.to_owned()
            } else {
                format!("{base}.{namespace}")
            }
        };
        Self {
            namespace: namespace.to_owned(),
            logs_exchange: name(LOGS_EXCHANGE),
            logs_queue: name(LOGS_QUEUE),
            dead_letter_exchange: name(DEAD_LETTER_EXCHANGE),
            dead_letter_queue: name(DEAD_LETTER_QUEUE),
            request_queues: PerWorker::from_fn(|worker: Worker| {
                name(&format!("{worker}{REQUEST_QUEUE_SUFFIX}"))
            }),
        }
    }
}

impl AmqpNames {
    /// The name a service's connection shows in RabbitMQ: the service, and the
    /// namespace when there is one (so one stack's connections can be told apart).
    pub fn connection_name(&self, service: &str) -> String {
        if self.namespace.is_empty() {
            service.to_owned()
        } else {
            format!("{service} {}", self.namespace)
        }
    }
}

impl Default for AmqpNames {
    fn default() -> Self {
        Self::new("")
    }
}

/// Whether `reply_to` names a reply queue of the broker's naming
/// ([`REPLY_QUEUE_PREFIX`]): the only queues a worker answers to, so that a
/// request cannot make a worker publish into another service's queue.
pub fn is_reply_queue(reply_to: &str) -> bool {
    reply_to
        .strip_prefix(REPLY_QUEUE_PREFIX)
        .is_some_and(|rest| !rest.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_names_are_the_originals() {
        let names = AmqpNames::default();
        assert_eq!(names.logs_exchange, "logs_topic");
        assert_eq!(AmqpNames::new("t1").logs_queue, "logs_listener.t1");
    }

    #[test]
    fn only_server_named_queues_are_reply_queues() {
        assert!(is_reply_queue("amq.gen-JzTY20BRgKO-HjmUJj0wLg"));
        let names = AmqpNames::new("t1");
        for queue in [&names.logs_queue, &names.request_queues.mail] {
            assert!(!is_reply_queue(queue), "{queue}");
        }
        assert!(!is_reply_queue("amq.gen-"));
        assert!(!is_reply_queue("amq.rabbitmq.reply-to"));
    }

    #[test]
    fn each_worker_has_its_own_request_queue() {
        let names = AmqpNames::new("t1");
        assert_eq!(names.request_queues.logger, "logger_requests.t1");
        assert_eq!(AmqpNames::default().request_queues.mail, "mail_requests");
    }
}
