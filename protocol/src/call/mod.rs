//! The call: what travels from the broker to a worker, on every transport, and
//! what the worker answers.
//!
//! A [`Call`] serializes as the `/handle` body itself
//! (`{"action":"log","log":{"name","data"}}`), so the JSON a client posts to the
//! broker is the JSON an AMQP request or an HTTP `POST /call` carries; on binary
//! wires (tarpc's bincode) it is the action's index and its payload
//! (`wire`). Its payloads are validated types, so holding a `Call` means it
//! is valid. An [`Answer`] carries what the action answers ([`Data`], one
//! variant per action), the worker's words and its timing, the same on every
//! wire.

mod fields;
mod wire;

pub use fields::WireCall;

use serde::{Deserialize, Serialize};

use crate::{
    Action, Credentials, LogPayload, MailPayload, PingPayload, User, Worker,
    logs::{LogPage, LogsQuery},
};

/// A validated call: what to do, with what payload. One variant per
/// [`Action`].
#[derive(Debug, Clone, PartialEq, Eq)]
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
        ping: Option<PingPayload>,
    },
    /// List what the logger stored ([`crate::logs`]).
    Logs {
        /// The filters and the page.
        logs: LogsQuery,
    },
}

impl Call {
    /// The call's action.
    pub fn action(&self) -> Action {
        match self {
            Call::Auth { .. } => Action::Auth,
            Call::Log { .. } => Action::Log,
            Call::Mail { .. } => Action::Mail,
            Call::Ping { .. } => Action::Ping,
            Call::Logs { .. } => Action::Logs,
        }
    }

    /// The worker that serves this call.
    pub fn worker(&self) -> Worker {
        self.action().worker()
    }

    /// An example call of `action`: what a comparison sends when it is given
    /// no payload (the CLI's default), and what the docs show.
    pub fn example(action: Action) -> Call {
        let valid = "the example is valid";
        match action {
            Action::Auth => Call::Auth {
                auth: Credentials {
                    email: "admin@example.com".parse().expect(valid),
                    password: "verysecret".parse().expect(valid),
                },
            },
            Action::Log => Call::Log {
                log: LogPayload {
                    name: "compare".parse().expect(valid),
                    data: "from the broker CLI".into(),
                },
            },
            Action::Mail => Call::Mail {
                mail: MailPayload {
                    from: None,
                    to: "compare@example.com".parse().expect(valid),
                    subject: "compare".parse().expect(valid),
                    message: "from the broker CLI".into(),
                },
            },
            Action::Ping => Call::Ping { ping: None },
            Action::Logs => Call::Logs {
                logs: LogsQuery::default(),
            },
        }
    }

    /// The broker's `message` when the call succeeded: the Go original broker's
    /// own words for each action (the contract), whatever the worker said.
    pub fn accepted(&self) -> String {
        match self {
            Call::Auth { .. } => "Authenticated".to_owned(),
            Call::Log { .. } => "logged".to_owned(),
            Call::Mail { mail } => format!("Message sent to {}", mail.to),
            Call::Ping { .. } => crate::PONG.to_owned(),
            Call::Logs { .. } => "stored logs".to_owned(),
        }
    }
}

/// What a worker answers to a [`Call`], on every transport: its own words, the
/// action's result, and how long the worker took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// The worker's own words ("logged", "Logged in user …", "sent to …").
    pub message: String,
    /// What the action answers.
    pub data: Data,
    /// How long the worker took, and how much of it its dependency (and, over
    /// AMQP, how long the request waited in RabbitMQ): the one way timing
    /// travels, on every wire. Set by the runtime, not by the worker.
    #[serde(default)]
    pub timing: Option<crate::ServerTiming>,
}

impl Answer {
    /// An answer of `data` in the worker's words, not timed yet.
    pub fn new(message: impl Into<String>, data: Data) -> Self {
        Self {
            message: message.into(),
            data,
            timing: None,
        }
    }
}

/// What an action answers besides its message: one variant per [`Action`], so
/// an action that answers data changes no other action's type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Data {
    /// A login: the user (never a password or its hash) and a signed token.
    Auth(Login),
    /// A log entry was stored.
    Log,
    /// A mail was handed to the SMTP server.
    Mail,
    /// A ping's data, sent back as it came (none for a plain ping).
    Ping(Option<String>),
    /// A page of stored entries.
    Logs(LogPage),
}

impl Data {
    /// The action this answers.
    pub fn action(&self) -> Action {
        match self {
            Data::Auth(_) => Action::Auth,
            Data::Log => Action::Log,
            Data::Mail => Action::Mail,
            Data::Ping(_) => Action::Ping,
            Data::Logs(_) => Action::Logs,
        }
    }
}

/// What a login answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Login {
    /// The user, without password.
    pub user: User,
    /// A signed, expiring JWT for `Authorization: Bearer`.
    pub token: String,
}

/// A worker's reply on the JSON wires (HTTP `POST /call`, AMQP): its answer or
/// its failure, serialized as `{"Ok": {...}}` or `{"Err": {...}}`.
pub type Reply = Result<Answer, crate::WorkerError>;

#[cfg(test)]
mod tests;
