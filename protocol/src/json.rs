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
