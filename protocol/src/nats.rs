//! NATS names and headers.
//!
//! Two paths use NATS:
//! - **Request/reply** (the fifth transport): the broker sends a [`crate::Call`]
//!   (its JSON, as over AMQP and HTTP) to the serving worker's own subject,
//!   `flexi.calls.<worker>`; the worker's replicas share it as a queue group
//!   named after the worker, and one answers the request's inbox with its
//!   [`crate::Reply`] JSON.
//! - **Events on JetStream** (beside RabbitMQ's `logs_topic`): a log event
//!   published to `flexi.events.log.INFO` lands in the file-backed stream
//!   `FLEXI_EVENTS`; the listener consumes it through its durable consumer
//!   `listener` and acks once the logger stored the entry. A poison event is
//!   published to `flexi.events.dead` (kept by the same stream, consumed by
//!   nobody) and terminated.
//!
//! A namespace ([`NatsNames::new`]) goes into every subject and the stream's
//! name, so that tests, or two stacks on one server, never share one.

use crate::{PerWorker, Worker};

/// The header that makes a JetStream publish idempotent: a retried publish
/// with the same id within the stream's duplicate window is stored once.
pub const MSG_ID_HEADER: &str = "Nats-Msg-Id";

/// The subjects, stream and consumer names, with a namespace or without.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NatsNames {
    /// The namespace they carry (empty: none).
    pub namespace: String,
    /// Each worker's request subject (`flexi.calls.logger`, …).
    pub calls: PerWorker<String>,
    /// Where log events are published (`flexi.events.log.INFO`).
    pub events: String,
    /// Where poison events are kept (`flexi.events.dead`).
    pub dead_letters: String,
    /// The subjects the stream keeps (`flexi.events.>`).
    pub stream_subjects: String,
    /// The subjects the listener consumes (`flexi.events.log.>`).
    pub log_events: String,
    /// The JetStream stream (`FLEXI_EVENTS`).
    pub stream: String,
    /// The listener's durable consumer (`listener`).
    pub durable: String,
}

impl NatsNames {
    /// The names, each carrying `namespace` when it is not empty (a subject
    /// token after `flexi`, a suffix of the stream's name).
    pub fn new(namespace: &str) -> Self {
        let prefix = match namespace {
            "" => "flexi".to_owned(),
            ns => format!("flexi.{ns}"),
        };
        let stream = match namespace {
            "" => "FLEXI_EVENTS".to_owned(),
            ns => format!("FLEXI_EVENTS_{}", ns.replace(['.', '-'], "_")),
        };
        Self {
            namespace: namespace.to_owned(),
            calls: PerWorker::from_fn(|worker: Worker| format!("{prefix}.calls.{worker}")),
            events: format!("{prefix}.events.log.INFO"),
            dead_letters: format!("{prefix}.events.dead"),
            stream_subjects: format!("{prefix}.events.>"),
            log_events: format!("{prefix}.events.log.>"),
            stream,
            durable: "listener".to_owned(),
        }
    }

    /// The name a service's connection shows in NATS: the service, and the
    /// namespace when there is one.
    pub fn connection_name(&self, service: &str) -> String {
        match self.namespace.as_str() {
            "" => service.to_owned(),
            ns => format!("{service} {ns}"),
        }
    }

    /// The queue group `worker`'s replicas share its requests in.
    pub fn queue_group(worker: Worker) -> &'static str {
        worker.name()
    }
}

impl Default for NatsNames {
    fn default() -> Self {
        Self::new("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_with_and_without_a_namespace() {
        let names = NatsNames::default();
        assert_eq!(names.calls.logger, "flexi.calls.logger");
        assert_eq!(
            (names.events.as_str(), names.stream.as_str()),
            ("flexi.events.log.INFO", "FLEXI_EVENTS")
        );
        let t = NatsNames::new("t_1a2b");
        assert_eq!(t.calls.mail, "flexi.t_1a2b.calls.mail");
        assert_eq!(t.stream, "FLEXI_EVENTS_t_1a2b");
        assert!(t.events.starts_with(t.log_events.trim_end_matches('>')));
        assert!(
            t.dead_letters
                .starts_with(t.stream_subjects.trim_end_matches('>'))
        );
        assert!(
            !t.dead_letters
                .starts_with(t.log_events.trim_end_matches('>'))
        );
    }
}
