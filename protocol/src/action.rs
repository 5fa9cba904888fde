//! The actions: the one list every other list of them derives from (the
//! broker's token policy, `/compare`'s parsing, the CLI, the page's grid) or is
//! tested against (the OpenAPI description).

use serde::{Deserialize, Serialize};

use crate::{Transport, Worker};

/// What a call asks a worker to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Check credentials against the users in Postgres (authentication).
    Auth,
    /// Store a log entry in MongoDB (logger).
    Log,
    /// Send a mail over SMTP (mail).
    Mail,
    /// A round trip that touches no database (logger).
    Ping,
    /// List the stored log entries, filtered, newest first (logger).
    Logs,
}

impl Action {
    /// Every action, in the order the page and the docs list them.
    pub const ALL: [Action; 5] = [
        Action::Auth,
        Action::Log,
        Action::Mail,
        Action::Ping,
        Action::Logs,
    ];

    /// The name on the wire (`"log"`, …): the `action` of a call and the field
    /// that holds its payload.
    pub const fn as_str(self) -> &'static str {
        match self {
            Action::Auth => "auth",
            Action::Log => "log",
            Action::Mail => "mail",
            Action::Ping => "ping",
            Action::Logs => "logs",
        }
    }

    /// The worker that serves it.
    pub const fn worker(self) -> Worker {
        match self {
            Action::Log | Action::Ping | Action::Logs => Worker::Logger,
            Action::Auth => Worker::Authentication,
            Action::Mail => Worker::Mail,
        }
    }

    /// The transport the Go original used for it, when a request names none
    /// (`log` without a transport is the original's event, not a call).
    pub const fn default_transport(self) -> Transport {
        match self {
            Action::Log => Transport::Amqp,
            Action::Auth | Action::Mail | Action::Ping | Action::Logs => Transport::Http,
        }
    }

    /// Whether a call may be sent again when it may have reached its worker
    /// already: only one that changes nothing (a ping, a login check, a
    /// read). A log entry or a mail is never repeated blindly, so it is never
    /// stored or sent twice.
    pub const fn is_idempotent(self) -> bool {
        matches!(self, Action::Ping | Action::Auth | Action::Logs)
    }

    /// The Go original's HTTP path for it on its worker (`POST` with the
    /// payload as the body), where it has one.
    pub const fn door(self) -> Option<&'static str> {
        match self {
            Action::Auth => Some("/authenticate"),
            Action::Log => Some("/log"),
            Action::Mail => Some("/send"),
            Action::Ping => Some("/ping"),
            Action::Logs => None,
        }
    }

    /// Whether a comparison may set its message size (`payload_bytes`,
    /// `sizes`): a log's data, a ping's echoed data.
    pub const fn sized(self) -> bool {
        matches!(self, Action::Log | Action::Ping)
    }

    /// Why a comparison of it is kept small: each call costs (a bcrypt check,
    /// a sorted read of up to a page of entries) or has an effect outside the
    /// system (a mail); `None` for the others.
    pub const fn costly(self) -> Option<&'static str> {
        match self {
            Action::Auth => Some("each runs a bcrypt check"),
            Action::Mail => Some("each sends a mail"),
            Action::Logs => Some("each reads a page of stored entries, sorted"),
            Action::Log | Action::Ping => None,
        }
    }

    /// Its position in [`Action::ALL`] (its index on binary wires).
    pub fn index(self) -> u32 {
        // ALL holds every variant, so the position is always found.
        Action::ALL.iter().position(|a| *a == self).unwrap_or(0) as u32
    }
}

crate::listed::named_list!(Action, UnknownAction, "action");

/// An action equals its name on the wire.
impl PartialEq<&str> for Action {
    fn eq(&self, name: &&str) -> bool {
        self.as_str() == *name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_indexes_round_trip() {
        for (i, action) in Action::ALL.into_iter().enumerate() {
            assert_eq!(action.as_str().parse::<Action>(), Ok(action));
            assert_eq!(action.index() as usize, i);
            let json = serde_json::to_string(&action).expect("serializes");
            assert_eq!(json, format!("\"{action}\""));
        }
        assert!("Log".parse::<Action>().is_err());
    }

    #[test]
    fn every_worker_serves_an_action() {
        for worker in Worker::ALL {
            assert!(Action::ALL.iter().any(|a| a.worker() == worker), "{worker}");
        }
    }
}
