//! JSON bodies: the envelope of every answer and the payload of each action.

use serde::{Deserialize, Serialize};

use crate::Transport;

/// The envelope every HTTP answer of every service uses, as the Go original's
/// `jsonResponse`: `{"error": bool, "message": string, "data": any?}`.
///
/// The broker also fills [`JsonResponse::transport`] and [`JsonResponse::elapsed_ms`]
/// on `/handle`; workers leave them out, and they are never serialized when absent,
/// so clients of the original see exactly the fields they know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JsonResponse<T = ()> {
    /// `true` when the call failed; `message` then says why.
    pub error: bool,
    /// A human-readable result ("logged", "Hit the broker", …) or error.
    pub message: String,
    /// The transport the broker dispatched the call over.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transport: Option<Transport>,
    /// Wall-clock time of the dispatch to the worker and back, in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub elapsed_ms: Option<f64>,
    /// The call's result, when it has one (a user, a list of log entries, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<T>,
}

impl<T> JsonResponse<T> {
    /// A successful answer without data.
    pub fn ok(message: impl Into<String>) -> Self {
        Self {
            error: false,
            message: message.into(),
            transport: None,
            elapsed_ms: None,
            data: None,
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

/// Largest `log.name` accepted, in bytes.
pub const MAX_LOG_NAME_BYTES: usize = 256;

/// A log entry as clients send it: `{"name": ..., "data": ...}`.
///
/// The same shape travels on every transport (HTTP body, AMQP message, tarpc
/// argument; gRPC uses the original `logs.Log` message with the same fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPayload {
    /// What the entry is about ("event", "authentication", …). Not empty.
    pub name: String,
    /// The entry's content. May be empty.
    pub data: String,
}

impl LogPayload {
    /// Checks the fields a JSON schema cannot: `name` must be non-blank and short.
    pub fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("log.name must not be empty".into());
        }
        if self.name.len() > MAX_LOG_NAME_BYTES {
            return Err(format!(
                "log.name must be at most {MAX_LOG_NAME_BYTES} bytes"
            ));
        }
        Ok(())
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
    fn log_names_are_checked() {
        let ok = LogPayload {
            name: "event".into(),
            data: String::new(),
        };
        assert!(ok.validate().is_ok());
        let blank = LogPayload {
            name: "  ".into(),
            data: "x".into(),
        };
        assert!(blank.validate().is_err());
        let long = LogPayload {
            name: "n".repeat(MAX_LOG_NAME_BYTES + 1),
            data: "x".into(),
        };
        assert!(long.validate().is_err());
    }
}

/// A stored log entry as `GET /logs` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    /// MongoDB's `_id`, as hex.
    pub id: String,
    /// The entry's name.
    pub name: String,
    /// The entry's content.
    pub data: String,
    /// When it was stored (RFC 3339, UTC).
    pub created_at: String,
    /// When it was last changed (RFC 3339, UTC).
    pub updated_at: String,
}

/// Login credentials: `{"email": ..., "password": ...}`. `Debug` never prints the
/// password.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// The user's e-mail address.
    pub email: String,
    /// The password in clear text, as the client sent it (over TLS in production).
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("email", &self.email)
            .field("password", &"[redacted]")
            .finish()
    }
}

/// Longest password accepted, in bytes (bcrypt reads 72 at most).
pub const MAX_PASSWORD_BYTES: usize = 72;

impl Credentials {
    /// Checks the e-mail's syntax and that the password is present and not over
    /// bcrypt's 72 bytes.
    pub fn validate(&self) -> Result<crate::Email, String> {
        let email = crate::Email::parse(&self.email)?;
        if self.password.is_empty() {
            return Err("auth.password must not be empty".into());
        }
        if self.password.len() > MAX_PASSWORD_BYTES {
            return Err(format!(
                "auth.password must be at most {MAX_PASSWORD_BYTES} bytes"
            ));
        }
        Ok(email)
    }
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
    /// 1 when the account is active (the original's integer flag).
    pub user_active: i32,
    /// Creation time (RFC 3339, UTC).
    pub created_at: String,
    /// Last change (RFC 3339, UTC).
    pub updated_at: String,
}

/// A mail to send: `{"from", "to", "subject", "message"}`. An empty or absent
/// `from` means the mail service's configured sender.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailPayload {
    /// Sender address; empty for the service's `FROM_ADDRESS`.
    #[serde(default)]
    pub from: String,
    /// Recipient address.
    pub to: String,
    /// Subject line.
    pub subject: String,
    /// Body text; rendered into the HTML and plain-text templates.
    pub message: String,
}

/// Longest subject accepted, in bytes.
pub const MAX_SUBJECT_BYTES: usize = 998;

impl MailPayload {
    /// Checks both addresses (an empty `from` is allowed) and the subject.
    pub fn validate(&self) -> Result<(), String> {
        crate::Email::parse(&self.to).map_err(|e| format!("mail.to: {e}"))?;
        if !self.from.trim().is_empty() {
            crate::Email::parse(&self.from).map_err(|e| format!("mail.from: {e}"))?;
        }
        if self.subject.len() > MAX_SUBJECT_BYTES || self.subject.contains(['\r', '\n']) {
            return Err(format!(
                "mail.subject must be one line of at most {MAX_SUBJECT_BYTES} bytes"
            ));
        }
        Ok(())
    }
}
