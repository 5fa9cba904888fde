//! Several calls in one request: an array posted to a worker's `POST /call`
//! (as JSON-RPC batches are), each call with the trace context it belongs
//! to, answered with their [`crate::Reply`]s in the same order.
//!
//! What the listener stores events with: a batch of deliveries is one HTTP
//! request to the logger instead of one per event, while every event keeps
//! its own trace and its own outcome (stored, refused, or to be tried again).

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::Call;

/// The most calls one batch may carry; each still counts against the body
/// limit (`MAX_BODY_BYTES`).
pub const MAX_CALLS: usize = 1024;

/// One call of a batch, as the client writes it.
#[derive(Debug, Serialize)]
pub struct Batched<'a> {
    /// The call (its `/handle` JSON, as `POST /call` takes it).
    pub call: &'a Call,
    /// The W3C `traceparent` of the call's own trace (an event's); none: the
    /// call belongs to the request's trace (its `traceparent` header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<&'a str>,
}

/// One call of a batch, as the worker reads it: the call is decoded on its
/// own, so one that is not valid fails alone.
#[derive(Debug, Deserialize)]
pub struct Received<'a> {
    /// The call's JSON, not decoded yet.
    #[serde(borrow)]
    pub call: &'a RawValue,
    /// Its trace context.
    #[serde(default)]
    pub traceparent: Option<&'a str>,
}

impl Received<'_> {
    /// The call, or why it is not one.
    pub fn call(&self) -> Result<Call, serde_json::Error> {
        serde_json::from_str(self.call.get())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_written_by_the_client_reads_back_call_by_call() {
        let calls = [
            Call::example(crate::Action::Log),
            Call::example(crate::Action::Ping),
        ];
        let parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let batch = [
            Batched {
                call: &calls[0],
                traceparent: Some(parent),
            },
            Batched {
                call: &calls[1],
                traceparent: None,
            },
        ];
        let body = serde_json::to_string(&batch).expect("json");
        let received: Vec<Received> = serde_json::from_str(&body).expect("a batch");
        assert_eq!(received.len(), 2);
        assert_eq!(received[0].traceparent, Some(parent));
        assert_eq!(received[1].traceparent, None);
        assert_eq!(received[0].call().expect("a call"), calls[0]);
        assert_eq!(received[1].call().expect("a call"), calls[1]);
    }

    #[test]
    fn an_invalid_call_fails_alone() {
        let body = r#"[{"call":{"action":"log","log":{"name":"","data":"x"}}},{"call":{"action":"ping"}}]"#;
        let received: Vec<Received> = serde_json::from_str(body).expect("a batch");
        assert!(received[0].call().is_err());
        assert_eq!(
            received[1].call().expect("a ping").action(),
            crate::Action::Ping
        );
    }
}
