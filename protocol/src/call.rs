//! The call: what travels from the broker to a worker, on every transport, and
//! what the worker answers.
//!
//! A [`Call`] serializes as the `/handle` body itself
//! (`{"action":"log","log":{"name","data"}}`), so the JSON a client posts to the
//! broker is the JSON an AMQP request carries; its payloads are validated types,
//! so holding a `Call` means it is valid. [`Call::worker`] is the one place that
//! says which worker serves which action.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::{Credentials, LogPayload, MailPayload, PingPayload, Transport, User};

/// A validated call: what to do, with what payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "lowercase", try_from = "WireCall")]
pub enum Call {
    /// Check credentials against the users in Postgres.
    Auth {
        /// The credentials.
        auth: Credentials,
    },
    /// Store a log entry in MongoDB through the logger.
    Log {
        /// The entry.
        log: LogPayload,
    },
    /// Send a mail over SMTP.
    Mail {
        /// The mail.
        mail: MailPayload,
    },
    /// A round trip to a worker that touches no database; with a payload, the
    /// worker sends its data back ([`crate::ping`]).
    Ping {
        /// The bytes to echo; none in the original's `{"action":"ping"}`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ping: Option<PingPayload>,
    },
}

/// The actions, as [`Call::action`] names them.
pub const ACTIONS: [&str; 4] = ["auth", "log", "mail", "ping"];

/// A call as it arrives (always JSON: the `/handle` body, an AMQP request),
/// before its action is known to be one of ours. Only the named action's payload
/// is parsed (from its raw text, so the others cost nothing) and checked, as the
/// original did: `{"action":"ping","mail":…}` is a ping. (serde's own tagged
/// enums would also take a number as the tag: `"action": 0`.)
#[derive(Deserialize)]
pub(crate) struct WireCall {
    action: String,
    /// `/handle`'s transport, taken by [`crate::Dispatch`]; a call ignores it.
    #[serde(default)]
    pub(crate) transport: Option<crate::Transport>,
    #[serde(default)]
    auth: Option<Box<RawValue>>,
    #[serde(default)]
    log: Option<Box<RawValue>>,
    #[serde(default)]
    mail: Option<Box<RawValue>>,
    #[serde(default)]
    ping: Option<Box<RawValue>>,
}

/// The payload of `field`, through its type's checks.
fn payload<T: serde::de::DeserializeOwned>(
    raw: Option<Box<RawValue>>,
    field: &str,
) -> Result<T, String> {
    let raw = raw.ok_or_else(|| format!("missing field `{field}` for this action"))?;
    serde_json::from_str(raw.get()).map_err(|e| format!("{field}: {e}"))
}

impl TryFrom<WireCall> for Call {
    type Error = String;

    fn try_from(wire: WireCall) -> Result<Self, String> {
        match wire.action.as_str() {
            "auth" => payload(wire.auth, "auth").map(|auth| Call::Auth { auth }),
            "log" => payload(wire.log, "log").map(|log| Call::Log { log }),
            "mail" => payload(wire.mail, "mail").map(|mail| Call::Mail { mail }),
            // Its payload is optional: `{"action":"ping"}` is the original's ping.
            "ping" => match wire.ping {
                None => Ok(Call::Ping { ping: None }),
                raw => payload(raw, "ping").map(|ping| Call::Ping { ping: Some(ping) }),
            },
            other => Err(format!(
                "unknown action {}: expected one of {}",
                crate::text::quote(other),
                ACTIONS.join(", ")
            )),
        }
    }
}

impl Call {
    /// The action's name on the wire (`"log"`, …).
    pub fn action(&self) -> &'static str {
        match self {
            Call::Auth { .. } => "auth",
            Call::Log { .. } => "log",
            Call::Mail { .. } => "mail",
            Call::Ping { .. } => "ping",
        }
    }

    /// The worker that serves this call.
    pub fn worker(&self) -> Worker {
        match self {
            Call::Log { .. } | Call::Ping { .. } => Worker::Logger,
            Call::Auth { .. } => Worker::Authentication,
            Call::Mail { .. } => Worker::Mail,
        }
    }

    /// The transport the Go original used for this action, when a request names none.
    pub fn default_transport(&self) -> Transport {
        match self {
            Call::Log { .. } => Transport::Amqp,
            Call::Auth { .. } | Call::Mail { .. } | Call::Ping { .. } => Transport::Http,
        }
    }

    /// Whether the call may be sent again after it failed to reach its worker:
    /// only the ones that change nothing (a ping, a login check). A log entry or
    /// a mail is never repeated, so it cannot be stored or sent twice.
    pub fn is_idempotent(&self) -> bool {
        matches!(self, Call::Ping { .. } | Call::Auth { .. })
    }

    /// The broker's `message` when the call succeeded: the Go original broker's
    /// own words for each action (the contract), whatever the worker said.
    pub fn accepted(&self) -> String {
        match self {
            Call::Auth { .. } => "Authenticated".to_owned(),
            Call::Log { .. } => "logged".to_owned(),
            Call::Mail { mail } => format!("Message sent to {}", mail.to),
            Call::Ping { .. } => crate::PONG.to_owned(),
        }
    }
}

/// What a worker answers to a [`Call`], on every transport: its own message and
/// its result. It reaches the broker as the worker sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The worker's own words ("logged", "Logged in user …", "sent to …").
    pub message: String,
    /// The result of a login. Always serialized: tarpc's bincode cannot skip a field.
    #[serde(default)]
    pub data: Option<User>,
    /// How long the worker took, and how much of it its dependency. Carried here
    /// over tarpc; HTTP, gRPC and AMQP carry it in their own headers, and their
    /// clients put it back here.
    #[serde(default)]
    pub timing: Option<crate::ServerTiming>,
    /// A login's signed token (a JWT), when the worker issued one.
    #[serde(default)]
    pub token: Option<String>,
    /// A ping's data, sent back as it came; `None` for every other call.
    #[serde(default)]
    pub echo: Option<String>,
}

impl Answer {
    /// An answer without data.
    pub fn message(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            data: None,
            timing: None,
            token: None,
            echo: None,
        }
    }
}

/// The three workers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Worker {
    /// Log entries in MongoDB; also answers `ping`.
    Logger,
    /// Users in Postgres.
    Authentication,
    /// Mail over SMTP.
    Mail,
}

impl Worker {
    /// Every worker.
    pub const ALL: [Worker; 3] = [Worker::Logger, Worker::Authentication, Worker::Mail];

    /// The worker's name (in errors, queue names and metrics).
    pub fn name(self) -> &'static str {
        match self {
            Worker::Logger => "logger",
            Worker::Authentication => "authentication",
            Worker::Mail => "mail",
        }
    }
}

impl std::fmt::Display for Worker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One `T` per worker (its address, its client, its circuit breakers).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerWorker<T> {
    /// The logger's.
    pub logger: T,
    /// The authentication service's.
    pub authentication: T,
    /// The mail service's.
    pub mail: T,
}

impl<T> PerWorker<T> {
    /// `make(worker)` for each worker.
    pub fn from_fn(mut make: impl FnMut(Worker) -> T) -> Self {
        Self {
            logger: make(Worker::Logger),
            authentication: make(Worker::Authentication),
            mail: make(Worker::Mail),
        }
    }

    /// The worker's `T`.
    pub fn get(&self, worker: Worker) -> &T {
        match worker {
            Worker::Logger => &self.logger,
            Worker::Authentication => &self.authentication,
            Worker::Mail => &self.mail,
        }
    }

    /// `f` applied to each worker's `T`.
    pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> PerWorker<U> {
        PerWorker::from_fn(|worker| f(self.get(worker)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_serializes_as_the_handle_body() {
        let body = r#"{"action":"log","log":{"name":"n","data":"d"}}"#;
        let call: Call = serde_json::from_str(body).expect("valid");
        assert_eq!(serde_json::to_string(&call).expect("json"), body);
        assert_eq!(call.worker(), Worker::Logger);
        let ping: Call = serde_json::from_str(r#"{"action":"ping"}"#).expect("valid");
        assert_eq!(ping, Call::Ping { ping: None });
    }

    #[test]
    fn invalid_payloads_never_become_calls() {
        for body in [
            r#"{"action":"log","log":{"name":" ","data":"d"}}"#,
            r#"{"action":"auth","auth":{"email":"nobody","password":"x"}}"#,
            r#"{"action":"auth","auth":{"email":"a@b.c","password":""}}"#,
            r#"{"action":"mail","mail":{"to":"you@there.com","subject":"a\nb","message":""}}"#,
            r#"{"action":"dance"}"#,
            r#"{"action":"log"}"#,
            r#"{"action":0,"auth":{"email":"a@b.c","password":"p"}}"#,
        ] {
            assert!(serde_json::from_str::<Call>(body).is_err(), "{body}");
        }
    }

    #[test]
    fn every_action_has_a_worker_and_round_trips() {
        let calls = [
            r#"{"action":"auth","auth":{"email":"a@b.c","password":"p"}}"#,
            r#"{"action":"log","log":{"name":"n","data":""}}"#,
            r#"{"action":"mail","mail":{"to":"a@b.c","subject":"s","message":"m"}}"#,
            r#"{"action":"ping"}"#,
        ];
        for (body, action) in calls.iter().zip(ACTIONS) {
            let call: Call = serde_json::from_str(body).expect("valid");
            assert_eq!(call.action(), action);
            let again: Call =
                serde_json::from_slice(&serde_json::to_vec(&call).expect("json")).expect("valid");
            assert_eq!(again, call);
        }
    }
}
