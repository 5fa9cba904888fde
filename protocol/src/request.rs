//! The broker's `POST /handle` body, and its parsing into a typed [`Dispatch`].
//!
//! The body is the Go original's `RequestPayload` plus one optional field of ours:
//! ```json
//! {"action": "log", "log": {"name": "event", "data": "hello"}, "transport": "grpc"}
//! ```
//! [`Dispatch::parse`] is the edge: past it an action, a transport and a payload are
//! known to be valid, and every way a body can be wrong has its own [`RequestError`].

use serde::Deserialize;

use crate::{
    Credentials, LogPayload, MailPayload,
    transport::{Transport, UnknownTransport},
};

/// The body exactly as it arrives; only [`Dispatch::parse`] (and the comparison's
/// parser) look at it.
#[derive(Deserialize)]
pub(crate) struct RawRequest {
    pub(crate) action: String,
    #[serde(default)]
    pub(crate) transport: Option<String>,
    #[serde(default)]
    pub(crate) auth: Option<Credentials>,
    #[serde(default)]
    pub(crate) log: Option<LogPayload>,
    #[serde(default)]
    pub(crate) mail: Option<MailPayload>,
}

/// A validated call: what to do, with what payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// Check credentials against the users in Postgres.
    Auth(Credentials),
    /// Store a log entry in MongoDB through the logger.
    Log(LogPayload),
    /// Send a mail over SMTP.
    Mail(MailPayload),
    /// A round trip to a worker that touches no database.
    Ping,
}

impl Call {
    /// The action's name on the wire (`"log"`, …).
    pub fn action(&self) -> &'static str {
        match self {
            Call::Auth(_) => "auth",
            Call::Log(_) => "log",
            Call::Mail(_) => "mail",
            Call::Ping => "ping",
        }
    }
}

/// A `/handle` request past validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatch {
    /// The transport the client asked for; `None` means the action's default,
    /// which is what the Go original did for it.
    pub transport: Option<Transport>,
    /// What to call.
    pub call: Call,
}

/// Every way a `/handle` body can be wrong. All of them are the client's to fix (400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// Not JSON, or JSON of the wrong shape (wrong types, missing `action`).
    #[error("invalid JSON body: {0}")]
    Malformed(String),
    /// `action` is not one this broker knows.
    #[error("unknown action {0:?}: expected one of auth, log, mail, ping")]
    UnknownAction(String),
    /// `transport` is not one of the four.
    #[error(transparent)]
    UnknownTransport(#[from] UnknownTransport),
    /// The object the action needs (`log` for `"action":"log"`) is absent.
    #[error("missing field {0:?} for this action")]
    Missing(&'static str),
    /// A field is present but not acceptable (empty name, …).
    #[error("{0}")]
    Invalid(String),
}

impl Dispatch {
    /// Parses and validates a `/handle` body.
    pub fn parse(body: &[u8]) -> Result<Self, RequestError> {
        let raw: RawRequest =
            serde_json::from_slice(body).map_err(|e| RequestError::Malformed(e.to_string()))?;
        let transport = raw.transport.as_deref().map(str::parse).transpose()?;
        let call = Call::from_raw(raw)?;
        Ok(Dispatch { transport, call })
    }
}

impl Call {
    /// The validated call a raw body names.
    pub(crate) fn from_raw(raw: RawRequest) -> Result<Call, RequestError> {
        Ok(match raw.action.as_str() {
            "auth" => {
                let auth = raw.auth.ok_or(RequestError::Missing("auth"))?;
                auth.validate().map_err(RequestError::Invalid)?;
                Call::Auth(auth)
            }
            "log" => {
                let log = raw.log.ok_or(RequestError::Missing("log"))?;
                log.validate().map_err(RequestError::Invalid)?;
                Call::Log(log)
            }
            "mail" => {
                let mail = raw.mail.ok_or(RequestError::Missing("mail"))?;
                mail.validate().map_err(RequestError::Invalid)?;
                Call::Mail(mail)
            }
            "ping" => Call::Ping,
            other => return Err(RequestError::UnknownAction(other.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Dispatch, RequestError> {
        Dispatch::parse(body.as_bytes())
    }

    #[test]
    fn the_original_log_body_parses_without_transport() {
        let d = parse(r#"{"action":"log","log":{"name":"event","data":"hi"}}"#).expect("valid");
        assert_eq!(d.transport, None);
        assert_eq!(
            d.call,
            Call::Log(LogPayload {
                name: "event".into(),
                data: "hi".into()
            })
        );
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
    fn a_transport_is_parsed() {
        let d = parse(r#"{"action":"log","transport":"rpc","log":{"name":"e","data":""}}"#)
            .expect("valid");
        assert_eq!(d.transport, Some(Transport::Rpc));
    }

    #[test]
    fn every_kind_of_bad_body_has_its_own_error() {
        assert!(matches!(parse("{"), Err(RequestError::Malformed(_))));
        assert!(matches!(parse("[]"), Err(RequestError::Malformed(_))));
        assert!(matches!(
            parse(r#"{"log":{}}"#),
            Err(RequestError::Malformed(_))
        ));
        assert!(matches!(
            parse(r#"{"action":"log","log":{"name":5,"data":""}}"#),
            Err(RequestError::Malformed(_))
        ));
        assert!(matches!(
            parse(r#"{"action":"dance"}"#),
            Err(RequestError::UnknownAction(a)) if a == "dance"
        ));
        assert!(matches!(
            parse(r#"{"action":"log","transport":"smtp","log":{"name":"e","data":""}}"#),
            Err(RequestError::UnknownTransport(_))
        ));
        assert_eq!(
            parse(r#"{"action":"log"}"#),
            Err(RequestError::Missing("log"))
        );
        assert!(matches!(
            parse(r#"{"action":"log","log":{"name":"","data":""}}"#),
            Err(RequestError::Invalid(_))
        ));
    }
}
