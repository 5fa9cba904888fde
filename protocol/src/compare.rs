//! `POST /compare`: one call, run N times per transport, with a concurrency.
//!
//! ```json
//! {"action": "log", "log": {"name": "bench", "data": "x"},
//!  "requests": 500, "concurrency": 16, "transports": ["http", "grpc"]}
//! ```
//! `transports` defaults to all four; `requests` to 100 (20 for `auth` and
//! `mail`, their most: [`MAX_COSTLY_REQUESTS`]); `concurrency` to 10.
//! The answer's `data` is a [`CompareReport`].

use serde::{Deserialize, Serialize};

use crate::{Call, RequestError, Transport};

/// Most requests per transport in one comparison.
pub const MAX_REQUESTS: u64 = 10_000;
/// Most requests in flight at once per transport.
pub const MAX_CONCURRENCY: u64 = 256;
/// Most requests per transport of a call that costs (`auth`: a bcrypt check,
/// about 0.25 CPU-seconds) or sends (`mail`: a mail each): one comparison of
/// either is at most 80 logins or mails over the four transports.
pub const MAX_COSTLY_REQUESTS: u64 = 20;

#[derive(Deserialize)]
struct RawCompare {
    #[serde(default)]
    requests: Option<u64>,
    #[serde(default = "default_concurrency")]
    concurrency: u64,
    #[serde(default)]
    transports: Option<Vec<Transport>>,
}

fn default_concurrency() -> u64 {
    10
}

/// A validated comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The call to repeat.
    pub call: Call,
    /// Requests per transport (1..=[`MAX_REQUESTS`]).
    pub requests: u32,
    /// Requests in flight at once (1..=[`MAX_CONCURRENCY`], at most `requests`).
    pub concurrency: u32,
    /// The transports, in order, without repeats.
    pub transports: Vec<Transport>,
}

impl Comparison {
    /// Parses and bounds a `/compare` body.
    pub fn parse(body: &[u8]) -> Result<Self, RequestError> {
        let malformed = |e: serde_json::Error| RequestError::malformed(&e);
        let raw: RawCompare = serde_json::from_slice(body).map_err(malformed)?;
        // The call is the same body read as a `/handle` one: its `transport` is
        // ignored (`transports` says where to run) but must be a transport.
        let call = crate::Dispatch::parse(body)?;
        let costly = match call.call {
            Call::Auth { .. } => Some("each runs a bcrypt check"),
            Call::Mail { .. } => Some("each sends a mail"),
            Call::Log { .. } | Call::Ping => None,
        };
        let requests = raw.requests.unwrap_or(match costly {
            Some(_) => MAX_COSTLY_REQUESTS,
            None => 100,
        });
        if !(1..=MAX_REQUESTS).contains(&requests) {
            return Err(RequestError::Invalid(format!(
                "requests must be between 1 and {MAX_REQUESTS}"
            )));
        }
        if let Some(why) = costly
            && requests > MAX_COSTLY_REQUESTS
        {
            return Err(RequestError::Invalid(format!(
                "a comparison of {} runs at most {MAX_COSTLY_REQUESTS} requests per transport ({why})",
                call.call.action()
            )));
        }
        if !(1..=MAX_CONCURRENCY).contains(&raw.concurrency) {
            return Err(RequestError::Invalid(format!(
                "concurrency must be between 1 and {MAX_CONCURRENCY}"
            )));
        }
        let mut transports = Vec::new();
        match raw.transports {
            None => transports.extend(Transport::ALL),
            Some(asked) => {
                for transport in asked {
                    if !transports.contains(&transport) {
                        transports.push(transport);
                    }
                }
            }
        }
        if transports.is_empty() {
            return Err(RequestError::Invalid("transports must not be empty".into()));
        }
        Ok(Comparison {
            call: call.call,
            requests: requests as u32,
            concurrency: raw.concurrency.min(requests) as u32,
            transports,
        })
    }
}

/// One transport's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TransportStats {
    /// The transport.
    pub transport: Transport,
    /// Calls that succeeded.
    pub ok: u64,
    /// Calls that failed.
    pub errors: u64,
    /// Median latency of the successful calls, in milliseconds.
    pub p50_ms: f64,
    /// 90th percentile, in milliseconds.
    pub p90_ms: f64,
    /// 99th percentile, in milliseconds.
    pub p99_ms: f64,
    /// Slowest successful call, in milliseconds.
    pub max_ms: f64,
    /// Successful calls per second of wall-clock time.
    pub rps: f64,
    /// Wall-clock time of this transport's run, in milliseconds.
    pub elapsed_ms: f64,
    /// The first failure's message, when there were failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// Where the successful calls' time went, part by part (see
    /// [`crate::Timing`]); absent when no call succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
}

/// Three percentiles of one part of the calls' time, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Percentiles {
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
}

/// Percentiles of each part of a transport's calls.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Breakdown {
    /// The wire both ways, serialization, connections and the broker's cost.
    pub transport: Percentiles,
    /// Waiting in RabbitMQ (AMQP only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue: Option<Percentiles>,
    /// The worker's handling.
    pub worker: Percentiles,
    /// The part of the worker's handling spent in its dependency.
    pub dependency: Percentiles,
}

/// What `POST /compare` answers in `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareReport {
    /// The action that was repeated.
    pub action: String,
    /// Requests per transport.
    pub requests: u32,
    /// Requests in flight at once.
    pub concurrency: u32,
    /// One entry per transport, in the order asked.
    pub results: Vec<TransportStats>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<Comparison, RequestError> {
        Comparison::parse(body.as_bytes())
    }

    #[test]
    fn defaults_cover_all_four_transports() {
        let c = parse(r#"{"action":"ping"}"#).expect("valid");
        assert_eq!(c.transports, Transport::ALL);
        assert_eq!((c.requests, c.concurrency), (100, 10));
        assert_eq!(c.call, Call::Ping);
    }

    #[test]
    fn bounds_are_enforced() {
        for body in [
            r#"{"action":"ping","requests":0}"#,
            r#"{"action":"ping","requests":10001}"#,
            r#"{"action":"ping","concurrency":0}"#,
            r#"{"action":"ping","concurrency":257}"#,
            r#"{"action":"ping","transports":[]}"#,
            r#"{"action":"ping","transports":["smtp"]}"#,
            r#"{"action":"ping","requests":-1}"#,
            r#"{"action":"log"}"#,
            r#"{"action":"ping","transport":"AAA"}"#,
        ] {
            assert!(parse(body).is_err(), "{body} accepted");
        }
    }

    #[test]
    fn a_comparison_of_logins_or_mails_is_bounded_to_a_few_calls() {
        let mail =
            r#""mail":{"from":"a@example.com","to":"b@example.com","subject":"s","message":"m"}"#;
        let auth = r#""auth":{"email":"a@example.com","password":"p"}"#;
        for (action, payload) in [("mail", mail), ("auth", auth)] {
            let body = |requests: &str| format!(r#"{{"action":"{action}",{payload}{requests}}}"#);
            let error = parse(&body(r#","requests":21"#)).expect_err("21 is over the bound");
            assert!(error.to_string().contains("at most 20"), "{error}");
            assert_eq!(
                parse(&body(r#","requests":20"#)).expect("valid").requests,
                20
            );
            assert_eq!(parse(&body("")).expect("valid").requests, 20, "the default");
        }
        assert_eq!(
            parse(r#"{"action":"ping","requests":10000}"#)
                .expect("valid")
                .requests,
            10_000
        );
    }

    #[test]
    fn concurrency_never_exceeds_requests_and_repeats_collapse() {
        let c = parse(
            r#"{"action":"ping","requests":3,"concurrency":50,"transports":["grpc","grpc","rpc"]}"#,
        )
        .expect("valid");
        assert_eq!(c.concurrency, 3);
        assert_eq!(c.transports, [Transport::Grpc, Transport::Rpc]);
    }
}
