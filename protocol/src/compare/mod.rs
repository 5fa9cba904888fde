//! `POST /compare`: one call, repeated per transport, in one of three modes.
//!
//! ```json
//! {"action": "log", "log": {"name": "bench", "data": "x"},
//!  "mode": "rate", "rate": 200, "duration": 5, "sizes": [64, 65536],
//!  "transports": ["http", "grpc"]}
//! ```
//! - `closed` (the default): `requests` per transport (100; `auth` and `mail` at
//!   most and by default [`MAX_COSTLY_REQUESTS`]) from `concurrency` loops (10),
//!   each sending its next call when the previous one answered.
//! - `rate`: an open loop: `rate` calls a second (100) for `duration` seconds
//!   (5), each sent at its planned time whatever the earlier ones did, at most
//!   `concurrency` (256) in flight; latency counts from the planned time.
//! - `sweep`: `rate` steps of `duration` seconds (2), doubling from `start_rate`
//!   (50) while at most `max_rate` ([`MAX_RATE`]), until a step's p99 passes
//!   `slo_ms` (10) or more than 1 % of its calls fail; the highest rate that met
//!   the SLO is the transport's knee.
//!
//! In every mode: `warmup` seconds (1; 0 for `auth` and `mail`) of the same
//! calls before each transport's run, not counted; `payload_bytes` (the size
//! of a `log`'s `data`, or of the data a `ping` has echoed) or `sizes` (the
//! whole run once per size). The answer's `data` is a [`CompareReport`].

mod parse;
mod report;
#[cfg(test)]
mod tests;

use std::time::Duration;

pub use report::*;

use crate::{Action, Call, RequestError, Transport};

/// Most requests per transport in one `closed` comparison.
pub const MAX_REQUESTS: u64 = 10_000;
/// Most requests in flight at once per transport.
pub const MAX_CONCURRENCY: u64 = 256;
/// Most requests per transport of a call that costs (`auth`: a bcrypt check,
/// about 0.25 CPU-seconds) or sends (`mail`: a mail each): one comparison of
/// either is at most 100 logins or mails over the five transports.
pub const MAX_COSTLY_REQUESTS: u64 = 20;
/// Most calls per second of a `rate` run or a sweep's step.
pub const MAX_RATE: u64 = 10_000;
/// Longest `rate` run, in seconds.
pub const MAX_RATE_SECONDS: u64 = 30;
/// Longest sweep step, in seconds.
pub const MAX_STEP_SECONDS: u64 = 10;
/// Longest warm-up, in seconds.
pub const MAX_WARMUP_SECONDS: f64 = 5.0;
/// Largest message (`payload_bytes`, each of `sizes`): 512 KiB.
pub const MAX_PAYLOAD_BYTES: u64 = 512 * 1024;
/// Most message sizes in one comparison.
pub const MAX_SIZES: usize = 8;
/// Most events per bus of an event comparison (each is read back to time it
/// end to end).
pub const MAX_EVENTS: u64 = 2_000;
/// Most bytes of messages one transport's run may send: calls × size.
pub const MAX_RUN_BYTES: u64 = 256 * 1024 * 1024;
/// Longest a whole comparison may be planned to run (warm-ups, every size,
/// transport and step): 15 minutes.
pub const MAX_PLANNED: Duration = Duration::from_secs(15 * 60);
/// How long a `rate` run waits for its last calls after its planned end; calls
/// that have not left by then count as errors.
pub const DRAIN: Duration = Duration::from_secs(5);

/// How the calls are sent.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// `concurrency` loops share `requests` calls.
    Closed {
        /// Calls per transport.
        requests: u32,
    },
    /// `rate` calls a second for `duration`.
    Rate {
        /// Planned calls per second.
        rate: u32,
        /// How long.
        duration: Duration,
    },
    /// Rate steps doubling from `start_rate` to at most `max_rate`.
    Sweep {
        /// The first step's rate.
        start_rate: u32,
        /// The highest a step's rate may be.
        max_rate: u32,
        /// The p99 each step must stay within, in milliseconds.
        slo_ms: f64,
        /// Each step's length.
        step: Duration,
    },
}

impl Mode {
    /// `closed`, `rate` or `sweep`.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Closed { .. } => "closed",
            Mode::Rate { .. } => "rate",
            Mode::Sweep { .. } => "sweep",
        }
    }

    /// The rates of a sweep's steps (they stop early when one misses the SLO).
    pub fn sweep_rates(start_rate: u32, max_rate: u32) -> impl Iterator<Item = u32> {
        std::iter::successors(Some(start_rate), |rate| rate.checked_mul(2))
            .take_while(move |rate| *rate <= max_rate)
    }

    /// Calls planned per transport and size (for a sweep, the most).
    pub fn planned_calls(&self) -> u64 {
        match *self {
            Mode::Closed { requests } => requests.into(),
            Mode::Rate { rate, duration } => u64::from(rate) * duration.as_secs(),
            Mode::Sweep {
                start_rate,
                max_rate,
                step,
                ..
            } => Self::sweep_rates(start_rate, max_rate)
                .map(|rate| u64::from(rate) * step.as_secs())
                .sum(),
        }
    }

    /// The most calls of one transport's run, its warm-up of `warmup` included
    /// (a sweep: its last step; a closed warm-up sends at most `requests`):
    /// the unit of the bytes bound.
    pub(super) fn calls_per_run(&self, warmup: Duration) -> u64 {
        let warm_up = |rate: u32| (f64::from(rate) * warmup.as_secs_f64()).ceil() as u64;
        match *self {
            Mode::Closed { requests } if warmup.is_zero() => requests.into(),
            Mode::Closed { requests } => 2 * u64::from(requests),
            Mode::Rate { rate, .. } => self.planned_calls() + warm_up(rate),
            Mode::Sweep {
                start_rate,
                max_rate,
                step,
                ..
            } => {
                let last = Self::sweep_rates(start_rate, max_rate)
                    .last()
                    .map_or(0, |rate| u64::from(rate) * step.as_secs());
                last.max(warm_up(start_rate))
            }
        }
    }
}

/// A validated comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// The call to repeat (with its payload at each of `sizes`: [`Comparison::call_of_size`]).
    pub call: Call,
    /// How the calls are sent.
    pub mode: Mode,
    /// `closed`: calls in flight at once (at most `requests`); `rate`, `sweep`:
    /// the most in flight (1..=[`MAX_CONCURRENCY`]).
    pub concurrency: u32,
    /// Calls before each transport's run that are not counted.
    pub warmup: Duration,
    /// The message sizes to run, in order; empty: the call as it came.
    pub sizes: Vec<u32>,
    /// The transports, in order, without repeats (none in an event comparison).
    pub transports: Vec<Transport>,
    /// An event comparison's buses, in order (a `log` published as the Go
    /// original's event, on each): none in a comparison of calls.
    pub buses: Vec<crate::Bus>,
}

impl Comparison {
    /// How long the comparison is planned to run, when that is known
    /// beforehand (`closed` runs until its calls are done).
    pub fn planned(&self) -> Option<Duration> {
        let per_run = match self.mode {
            Mode::Closed { .. } => return None,
            Mode::Rate { duration, .. } => self.warmup + duration,
            Mode::Sweep {
                start_rate,
                max_rate,
                step,
                ..
            } => self.warmup + step * Mode::sweep_rates(start_rate, max_rate).count() as u32,
        };
        let runs = self.runs() * self.sizes.len().max(1);
        Some(per_run * runs as u32)
    }

    /// The most bytes of message one call carries: the largest of `sizes`, or
    /// the call's own `log` data and name, or a ping's data.
    pub fn message_bytes(&self) -> u64 {
        match (self.sizes.iter().max(), &self.call) {
            (Some(largest), _) => (*largest).into(),
            (None, Call::Log { log }) => (log.data.len() + log.name.as_str().len()) as u64,
            (None, Call::Ping { ping: Some(ping) }) => ping.data.len() as u64,
            (None, _) => 0,
        }
    }

    /// How many runs each message size has: one per transport, or per bus.
    pub fn runs(&self) -> usize {
        self.transports.len() + self.buses.len()
    }

    /// The message sizes to run: `[None]` when the comparison named none.
    pub fn size_runs(&self) -> Vec<Option<u32>> {
        if self.sizes.is_empty() {
            vec![None]
        } else {
            self.sizes.iter().copied().map(Some).collect()
        }
    }

    /// The call with its message at `bytes`: a `log`'s `data`, a `ping`'s
    /// echoed data; the call as it came for `None`.
    pub fn call_of_size(&self, bytes: Option<u32>) -> Call {
        let Some(bytes) = bytes else {
            return self.call.clone();
        };
        let data = "x".repeat(bytes as usize);
        match &self.call {
            Call::Log { log } => Call::Log {
                log: crate::LogPayload {
                    name: log.name.clone(),
                    data,
                },
            },
            Call::Ping { .. } => Call::Ping {
                ping: Some(crate::PingPayload { data }),
            },
            other => other.clone(),
        }
    }
}
