//! JSON bodies: the envelope of every answer and the payload of each action.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Data, Email, LogName, Password, Subject, Transport};

/// The envelope every HTTP answer of every service uses, as the Go original's
/// `jsonResponse`: `{"error": bool, "message": string, "data": any?}`.
///
/// The broker also fills [`JsonResponse::transport`] and [`JsonResponse::elapsed_ms`]
/// on `/handle`; workers leave them out, and they are never serialized when absent,
/// so clients of the original see exactly the fields they know (every field
/// that is `None` is left out).
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonResponse<T = ()> {
    /// `true` when the call failed; `message` then says why.
    pub error: bool,
    /// A human-readable result ("logged", "Hit the broker", …) or error.
    pub message: String,
    /// The transport the broker dispatched the call over.
    pub transport: Option<Transport>,
    /// Wall-clock time of the dispatch to the worker and back, in milliseconds.
    pub elapsed_ms: Option<f64>,
    /// Where the dispatch's time went (`/handle`).
    pub timing: Option<crate::Timing>,
    /// The call's result, when it has one (a user, a list of log entries, …).
    pub data: Option<T>,
    /// The id of the call's trace (32 hex digits), when it is traced.
    pub trace_id: Option<String>,
    /// A successful `auth`'s token: a signed, expiring JWT to send as
    /// `Authorization: Bearer <token>`.
    pub token: Option<String>,
    /// A worker's answer to `POST /ping` `{"data"}`: the data, as it came
    /// ([`crate::ping`]). The broker's `/handle` never sends it.
    pub echo: Option<String>,
}

impl<T> JsonResponse<T> {
    /// A successful answer without data.
    pub fn ok(message: impl Into<String>) -> Self {
        Self {
            error: false,
            message: message.into(),
            transport: None,
            elapsed_ms: None,
            timing: None,
            data: None,
            trace_id: None,
            token: None,
            echo: None,
        }
    }

    /// A successful answer carrying `data`.
    pub fn with_data(message: impl Into<String>, data: T) -> Self {
        Self {
            data: Some(data),
            ..Self::ok(message)
        }
    }

    /// The error body: `{"error": true, "message": ...}`.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            error: true,
            ..Self::ok(message)
        }
    }
}

/// What an HTTP answer's `data` holds, by action: the user of a login, a page
/// of stored entries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Shown {
    /// A login's user.
    User(User),
    /// A page of stored entries.
    Logs(crate::logs::LogPage),
}

impl JsonResponse<Shown> {
    /// An action's answer in the HTTP envelope, as the Go original's clients
    /// read it: `message`, a login's user as `data` and its `token`, a ping's
    /// `echo`.
    pub fn answered(message: impl Into<String>, data: Data) -> Self {
        let mut body = Self::ok(message);
        match data {
            Data::Auth(login) => {
                body.data = Some(Shown::User(login.user));
                body.token = Some(login.token);
            }
            Data::Ping(echo) => body.echo = echo,
            Data::Logs(page) => body.data = Some(Shown::Logs(page)),
            Data::Log | Data::Mail => {}
        }
        body
    }
}

/// A log entry as clients send it: `{"name": ..., "data": ...}`.
///
/// The same shape travels on every transport (HTTP body, AMQP message, tarpc
/// argument; gRPC uses the original `logs.Log` message with the same fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPayload {
    /// What the entry is about ("event", "authentication", …).
    pub name: LogName,
    /// The entry's content. May be empty.
    pub data: String,
}

/// Login credentials: `{"email": ..., "password": ...}`. `Debug` never prints the
/// password.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The user's e-mail address.
    pub email: Email,
    /// The password in clear text, as the client sent it (over TLS in production).
    pub password: Password,
}

/// A user as every answer carries it: the Go original's JSON field names, and
/// never the password or its hash (the type has no field for them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Database id.
    pub id: i64,
    /// E-mail address (unique).
    pub email: String,
    /// First name.
    pub first_name: String,
    /// Last name.
    pub last_name: String,
    /// 1 when the account is active (the original's integer flag, JSON `active`;
    /// its column is `user_active`).
    pub active: i32,
    /// Creation time (RFC 3339, UTC).
    pub created_at: String,
    /// Last change (RFC 3339, UTC).
    pub updated_at: String,
}

/// A mail to send: `{"from", "to", "subject", "message"}`. An empty or absent
/// `from` means the mail service's configured sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailPayload {
    /// Sender address; `None` (absent or `""` on the wire, as in the original)
    /// for the service's `FROM_ADDRESS`.
    // Always serialized, as `""` when absent: bincode, tarpc's format, has no way
    // to skip a field, and the original's clients send a string.
    #[serde(
        default,
        deserialize_with = "blank_is_none",
        serialize_with = "none_is_blank"
    )]
    pub from: Option<Email>,
    /// Recipient address.
    pub to: Email,
    /// Subject line.
    pub subject: Subject,
    /// Body text; rendered into the HTML and plain-text templates.
    pub message: String,
}

/// `""` (or blanks) as `None`, any other string through the address check.
fn blank_is_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Email>, D::Error> {
    let text = String::deserialize(deserializer)?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    Email::parse(text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

/// `None` as `""`.
fn none_is_blank<S: Serializer>(from: &Option<Email>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(from.as_ref().map_or("", Email::as_str))
}

/// A user for the tests.
#[cfg(test)]
pub(crate) fn user() -> User {
    User {
        id: 1,
        email: "a@b.c".into(),
        first_name: "A".into(),
        last_name: "B".into(),
        active: 1,
        created_at: "2026-01-01T00:00:00Z".into(),
        updated_at: "2026-01-01T00:00:00Z".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_fields_are_left_out() {
        let body = serde_json::to_string(&JsonResponse::<()>::ok("Hit the broker")).expect("json");
        assert_eq!(body, r#"{"error":false,"message":"Hit the broker"}"#);
    }

    #[test]
    fn a_blank_from_is_the_configured_sender() {
        let mail: MailPayload = serde_json::from_str(
            r#"{"from":" ","to":"you@there.com","subject":"s","message":"m"}"#,
        )
        .expect("valid");
        assert_eq!(mail.from, None);
        for bad in [r#""nobody""#, "null", "5"] {
            let body =
                format!(r#"{{"from":{bad},"to":"you@there.com","subject":"s","message":"m"}}"#);
            assert!(serde_json::from_str::<MailPayload>(&body).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_user_has_the_originals_field_names() {
        let json = serde_json::to_value(user()).expect("json");
        assert_eq!(json["active"], 1);
        assert!(json.get("user_active").is_none());
    }
}
