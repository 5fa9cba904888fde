//! The broker's `POST /handle` body: a [`Call`] plus the optional transport.
//!
//! Parsing is the only validation: past [`Dispatch::parse`] an action, a transport
//! and a payload are known to be valid.

use serde::{Deserialize, Serialize};

use crate::{Call, Transport, call::WireCall};

/// Where the Go original's log event is published when a `log` names no
/// transport: RabbitMQ's `logs_topic` (the original's, the default) or
/// NATS JetStream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Bus {
    /// RabbitMQ's `logs_topic` (the original's).
    Rabbitmq,
    /// The JetStream stream of [`crate::nats::NatsNames`].
    Nats,
}

impl Bus {
    /// Every bus, the original's first.
    pub const ALL: [Bus; 2] = [Bus::Rabbitmq, Bus::Nats];

    /// Its name as requests, metrics and the comparison's files name it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Bus::Rabbitmq => "rabbitmq",
            Bus::Nats => "nats",
        }
    }

    /// The transport its events travel over.
    pub const fn transport(self) -> Transport {
        match self {
            Bus::Rabbitmq => Transport::Amqp,
            Bus::Nats => Transport::Nats,
        }
    }
}

/// A `/handle` request past validation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "WireCall")]
pub struct Dispatch {
    /// The transport the client asked for; `None` means the action's default,
    /// which is what the Go original did for it.
    pub transport: Option<Transport>,
    /// The bus a log event names (`None`: RabbitMQ's, the original's); only a
    /// `log` without a transport is an event.
    pub bus: Option<Bus>,
    /// What to call.
    pub call: Call,
}

impl TryFrom<WireCall> for Dispatch {
    type Error = String;

    fn try_from(mut wire: WireCall) -> Result<Self, String> {
        let (transport, bus) = (wire.transport.take(), wire.bus.take());
        let call = Call::try_from(wire)?;
        if bus.is_some() && transport.is_some() {
            return Err(
                "bus names where a log event goes, transport how a call travels: \
                        give one or the other, not both"
                    .into(),
            );
        }
        if bus.is_some() && call.action() != crate::Action::Log {
            return Err(format!(
                "bus applies to a log event, not to {}",
                call.action()
            ));
        }
        Ok(Dispatch {
            transport,
            bus,
            call,
        })
    }
}

/// Every way a request body can be wrong. All of them are the client's to fix (400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Not JSON, or not a valid call: wrong types, a missing or unknown `action`,
    /// an unknown `transport`, a missing or invalid payload.
    #[error("invalid JSON body: {0}")]
    Malformed(String),
    /// An action the endpoint does not serve (`/log-gRPC` takes only `log`).
    #[error("this endpoint does not serve the action {0:?}")]
    WrongAction(&'static str),
    /// A field is present but out of range (a comparison's bounds).
    #[error("{0}")]
    Invalid(String),
}

impl RequestError {
    /// A parse error, quoting at most a short prefix of the offending input.
    pub fn malformed(error: impl std::fmt::Display) -> Self {
        let text = error.to_string();
        RequestError::Malformed(match text.char_indices().nth(240) {
            None => text,
            Some((end, _)) => format!("{}…", &text[..end]),
        })
    }
}

impl Dispatch {
    /// Parses and validates a `/handle` body.
    pub fn parse(body: &[u8]) -> Result<Self, RequestError> {
        serde_json::from_slice(body).map_err(|e| RequestError::malformed(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::LogPayload;

    fn parse(body: &str) -> Result<Dispatch, RequestError> {
        Dispatch::parse(body.as_bytes())
    }

    #[test]
    fn the_original_log_body_parses_without_transport() {
        let d = parse(r#"{"action":"log","log":{"name":"event","data":"hi"}}"#).expect("valid");
        assert_eq!(d.transport, None);
        let log = LogPayload {
            name: "event".parse().expect("valid"),
            data: "hi".into(),
        };
        assert_eq!(d.call, Call::Log { log });
    }

    #[test]
    fn auth_and_mail_bodies_parse() {
        let auth = parse(
            r#"{"action":"auth","auth":{"email":"admin@example.com","password":"verysecret"}}"#,
        )
        .expect("valid");
        assert_eq!(auth.call.action(), "auth");
        let mail =
            parse(r#"{"action":"mail","mail":{"to":"you@there.com","subject":"s","message":"m"}}"#)
                .expect("valid: from may be omitted");
        assert_eq!(mail.call.action(), "mail");
    }

    #[test]
    fn an_event_may_name_its_bus_but_not_with_a_transport() {
        let d =
            parse(r#"{"action":"log","bus":"nats","log":{"name":"e","data":""}}"#).expect("valid");
        assert_eq!((d.transport, d.bus), (None, Some(Bus::Nats)));
        for (body, says) in [
            (
                r#"{"action":"log","bus":"nats","transport":"grpc","log":{"name":"e","data":""}}"#,
                "not both",
            ),
            (
                r#"{"action":"ping","bus":"nats"}"#,
                "bus applies to a log event",
            ),
            (
                r#"{"action":"log","bus":"kafka","log":{"name":"e","data":""}}"#,
                "unknown variant",
            ),
        ] {
            let error = parse(body).expect_err(body).to_string();
            assert!(error.contains(says), "{body}: {error}");
        }
    }

    #[test]
    fn a_transport_is_parsed() {
        let d = parse(r#"{"action":"log","transport":"rpc","log":{"name":"e","data":""}}"#)
            .expect("valid");
        assert_eq!(d.transport, Some(Transport::Rpc));
    }

    #[test]
    fn every_kind_of_bad_body_is_rejected() {
        for body in [
            "{",
            "[]",
            r#"{"log":{}}"#,
            r#"{"action":"log","log":{"name":5,"data":""}}"#,
            r#"{"action":"dance"}"#,
            r#"{"action":"log","transport":"smtp","log":{"name":"e","data":""}}"#,
            r#"{"action":"log"}"#,
            r#"{"action":"log","log":{"name":"","data":""}}"#,
        ] {
            assert!(
                matches!(parse(body), Err(RequestError::Malformed(_))),
                "{body}"
            );
        }
    }

    #[test]
    fn an_error_never_echoes_a_huge_input() {
        let body = format!(
            r#"{{"action":"auth","auth":{{"email":"{}","password":"p"}}}}"#,
            "x".repeat(1_000_000)
        );
        let error = parse(&body).expect_err("invalid address").to_string();
        assert!(error.len() < 400, "{} bytes", error.len());
    }
}
#[cfg(test)]
mod unnamed_payloads {
    #[test]
    fn only_the_named_actions_payload_is_checked() {
        let body = r#"{"action":"ping","mail":{"to":"a@b.c","subject":"a\nb","message":""}}"#;
        assert!(super::Dispatch::parse(body.as_bytes()).is_ok());
        let body = r#"{"action":"mail","mail":{"to":"a@b.c","subject":"a\nb","message":""}}"#;
        assert!(super::Dispatch::parse(body.as_bytes()).is_err());
    }
}
