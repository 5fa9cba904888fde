//! `ping`'s optional payload: data the worker sends back as it came, so that a
//! ping carries a size both ways (what a comparison of the transports measures).
//!
//! `{"action":"ping"}` is the Go original's ping, answered `pong` with no echo;
//! `{"action":"ping","ping":{"data":"…"}}` is also answered `pong`, and the
//! worker's answer carries `data` back ([`Data::Ping`]), over every transport
//! (the worker's HTTP door: `POST /ping` `{"data"}` → `{"echo"}`). The data is
//! bounded only by each transport's `MAX_BODY_BYTES`.

use serde::{Deserialize, Serialize};

use crate::{Answer, Call, Data};

/// What a ping carries to the worker, to be echoed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingPayload {
    /// Any text; the worker answers it unchanged.
    pub data: String,
}

/// A ping's answer did not carry its data back: the worker did not do what the
/// contract says, so the call failed (and its size would be a lie).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the ping sent {sent} bytes and {} came back", match .echoed {
    Some(bytes) => format!("{bytes}"),
    None => "no echo".to_owned(),
})]
pub struct EchoMismatch {
    /// Bytes of data sent.
    pub sent: usize,
    /// Bytes echoed; `None`: the answer had no echo.
    pub echoed: Option<usize>,
}

impl Call {
    /// The bytes `answer` echoed of this call's ping data, checked against what
    /// was sent: `None` for a call that sent none (a plain ping, any other
    /// action), whatever the answer says.
    pub fn echoed(&self, answer: &Answer) -> Result<Option<usize>, EchoMismatch> {
        let Call::Ping { ping: Some(ping) } = self else {
            return Ok(None);
        };
        let sent = ping.data.len();
        let echoed = match &answer.data {
            Data::Ping(echo) => echo.as_ref().map(String::len),
            _ => None,
        };
        match echoed {
            Some(bytes) if bytes == sent => Ok(Some(bytes)),
            _ => Err(EchoMismatch { sent, echoed }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dispatch;

    fn ping(data: &str) -> Call {
        Call::Ping {
            ping: Some(PingPayload { data: data.into() }),
        }
    }

    #[test]
    fn a_ping_may_carry_data_or_not() {
        let plain: Call = serde_json::from_str(r#"{"action":"ping"}"#).expect("valid");
        assert_eq!(plain, Call::Ping { ping: None });
        assert_eq!(
            serde_json::to_string(&plain).expect("json"),
            r#"{"action":"ping"}"#
        );
        let null: Call = serde_json::from_str(r#"{"action":"ping","ping":null}"#).expect("valid");
        assert_eq!(null, plain);

        let body = r#"{"action":"ping","ping":{"data":"héllo"}}"#;
        let with_data: Call = serde_json::from_str(body).expect("valid");
        assert_eq!(with_data, ping("héllo"));
        assert_eq!(serde_json::to_string(&with_data).expect("json"), body);
        let dispatch =
            Dispatch::parse(br#"{"action":"ping","transport":"grpc","ping":{"data":""}}"#)
                .expect("valid");
        assert_eq!(dispatch.call, ping(""));
    }

    #[test]
    fn a_ping_payload_must_be_an_object_with_string_data() {
        for (body, says) in [
            (
                r#"{"action":"ping","ping":{"data":5}}"#,
                "ping: invalid type: integer `5`, expected a string",
            ),
            (
                r#"{"action":"ping","ping":{}}"#,
                "ping: missing field `data`",
            ),
            (
                r#"{"action":"ping","ping":"x"}"#,
                "ping: invalid type: string",
            ),
        ] {
            let error = Dispatch::parse(body.as_bytes())
                .expect_err(body)
                .to_string();
            assert!(error.contains(says), "{body}: {error}");
        }
    }

    #[test]
    fn an_echo_must_be_as_long_as_the_data() {
        let answer =
            |echo: Option<&str>| Answer::new(crate::PONG, Data::Ping(echo.map(str::to_owned)));
        assert_eq!(ping("abc").echoed(&answer(Some("abc"))), Ok(Some(3)));
        assert_eq!(ping("").echoed(&answer(Some(""))), Ok(Some(0)));
        let short = ping("abc").echoed(&answer(Some("ab"))).expect_err("short");
        assert_eq!(short.to_string(), "the ping sent 3 bytes and 2 came back");
        let none = ping("abc").echoed(&answer(None)).expect_err("no echo");
        assert_eq!(
            none.to_string(),
            "the ping sent 3 bytes and no echo came back"
        );
        // Nothing sent, nothing checked.
        assert_eq!(
            Call::Ping { ping: None }.echoed(&answer(Some("x"))),
            Ok(None)
        );
    }
}
