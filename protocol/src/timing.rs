//! Where the time of one call went.
//!
//! A worker measures its own handling time and the part of it spent in its
//! dependency (MongoDB, Postgres and bcrypt, SMTP) and reports both back as a
//! [`ServerTiming`], the `timing` of its [`crate::Answer`], the same way on
//! every wire (the Go original's HTTP doors also write it as the W3C
//! `Server-Timing` header, for people). An AMQP worker adds how long the
//! request waited in RabbitMQ. The broker turns it into the [`Timing`] of its
//! answer.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// The header (and metadata key) a worker's timing travels in.
pub const SERVER_TIMING: &str = "server-timing";
/// The AMQP header a request carries its send time in (Unix time, µs), so the
/// consuming worker can tell how long it waited in RabbitMQ.
pub const SENT_AT_HEADER: &str = "x-sent-at-us";

/// A worker's account of one call, in microseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerTiming {
    /// From the worker having the call to having its answer.
    pub worker_us: u64,
    /// The part of `worker_us` spent waiting on the worker's dependency.
    pub dependency_us: u64,
    /// How long the request waited in RabbitMQ before the worker took it
    /// (AMQP only).
    pub queue_us: Option<u64>,
}

impl ServerTiming {
    /// The `Server-Timing` header value: `worker;dur=1.234, dependency;dur=0.9`
    /// (durations in milliseconds, as the W3C spec says), plus `queue;dur=…`.
    pub fn to_header(&self) -> String {
        let ms = |us: u64| us as f64 / 1000.0;
        let mut text = format!(
            "worker;dur={}, dependency;dur={}",
            ms(self.worker_us),
            ms(self.dependency_us)
        );
        if let Some(queue) = self.queue_us {
            let _ = write!(text, ", queue;dur={}", ms(queue));
        }
        text
    }

    /// Reads a `Server-Timing` value back; `None` without a `worker` metric.
    /// Unknown metrics and parameters are ignored, as the spec asks.
    pub fn parse_header(value: &str) -> Option<Self> {
        let mut timing = ServerTiming::default();
        let mut worker = None;
        for metric in value.split(',') {
            let mut parts = metric.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let duration = parts
                .filter_map(|p| p.strip_prefix("dur="))
                .find_map(|d| d.parse::<f64>().ok())
                .filter(|d| d.is_finite() && *d >= 0.0)
                .map(|ms| (ms * 1000.0).round() as u64);
            match (name, duration) {
                ("worker", Some(us)) => worker = Some(us),
                ("dependency", Some(us)) => timing.dependency_us = us,
                ("queue", Some(us)) => timing.queue_us = Some(us),
                _ => {}
            }
        }
        timing.worker_us = worker?;
        Some(timing)
    }
}

/// The breakdown every `/handle` answer carries, in milliseconds:
/// `total = transport + queue + worker`, and `dependency` is part of `worker`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// The whole dispatch, as the broker measured it.
    pub total_ms: f64,
    /// The worker's handling (0 when the worker reported nothing, as on the
    /// original's fire-and-forget event).
    pub worker_ms: f64,
    /// The part of `worker_ms` spent in MongoDB, Postgres and bcrypt, or SMTP.
    pub dependency_ms: f64,
    /// Waiting in RabbitMQ before the worker took the request (AMQP only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_ms: Option<f64>,
    /// Everything else: the wire both ways, serialization, connection handling
    /// and the broker's own cost (`total - worker - queue`).
    pub transport_ms: f64,
}

impl Timing {
    /// The breakdown of a dispatch that took `total_us`, given what the worker
    /// reported (if anything).
    pub fn of(total_us: u64, server: Option<ServerTiming>) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        let server = server.unwrap_or_default();
        let queue = server.queue_us.unwrap_or(0);
        Timing {
            total_ms: ms(total_us),
            worker_ms: ms(server.worker_us),
            dependency_ms: ms(server.dependency_us),
            queue_ms: server.queue_us.map(ms),
            transport_ms: ms(total_us.saturating_sub(server.worker_us + queue)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_round_trips() {
        let timing = ServerTiming {
            worker_us: 1234,
            dependency_us: 900,
            queue_us: Some(57),
        };
        assert_eq!(
            timing.to_header(),
            "worker;dur=1.234, dependency;dur=0.9, queue;dur=0.057"
        );
        assert_eq!(
            ServerTiming::parse_header(&timing.to_header()),
            Some(timing)
        );
    }

    #[test]
    fn foreign_metrics_are_ignored_and_no_worker_is_nothing() {
        let parsed = ServerTiming::parse_header("cache;desc=hit, worker;dur=2;desc=x, db;dur=1");
        assert_eq!(parsed.map(|t| t.worker_us), Some(2000));
        assert_eq!(ServerTiming::parse_header("dependency;dur=1"), None);
        assert_eq!(ServerTiming::parse_header("worker;dur=-1"), None);
    }

    #[test]
    fn the_parts_add_up_to_the_total() {
        let server = ServerTiming {
            worker_us: 3000,
            dependency_us: 2000,
            queue_us: Some(500),
        };
        let timing = Timing::of(5000, Some(server));
        let sum = timing.transport_ms + timing.worker_ms + timing.queue_ms.unwrap_or(0.0);
        assert!((sum - timing.total_ms).abs() < 1e-9, "{timing:?}");
        assert_eq!(Timing::of(800, None).transport_ms, 0.8);
    }
}
