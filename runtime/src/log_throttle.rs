//! Repeated failures logged as one line per interval with a count, not one line
//! each: during an outage every call fails the same way, and a line per call
//! (160 MB of log in one minute of a RabbitMQ outage, before) helps nobody and
//! costs disk and CPU exactly when the system is already in trouble.

use std::{
    collections::HashMap,
    sync::Mutex,
    time::{Duration, Instant},
};

/// The process's throttle for warnings and errors that repeat with every call
/// while a dependency is down: one line per kind a second ([`throttled!`]).
pub fn global() -> &'static LogThrottle {
    static GLOBAL: std::sync::OnceLock<LogThrottle> = std::sync::OnceLock::new();
    GLOBAL.get_or_init(|| LogThrottle::new(Duration::from_secs(1)))
}

/// Logs `$message` with its fields at `$level` (`warn`, `error`) through the
/// [`global`] throttle, the message being the line's kind: the first line at
/// once, then at most one a second, each with `repeated`, the count of lines
/// of the kind held back since the last one.
///
/// ```ignore
/// runtime::throttled!(warn, "HTTP call failed", worker, error = %e);
/// ```
#[macro_export]
macro_rules! throttled {
    ($level:ident, $message:literal $(, $($field:tt)+)?) => {
        if let Some(repeated) = $crate::log_throttle::global().admit($message) {
            ::tracing::$level!(repeated, $($($field)+ ,)? $message);
        }
    };
}

/// Admits the first occurrence of each kind of event, then at most one per
/// `interval`; what it holds back is counted and reported with the next one.
#[derive(Debug)]
pub struct LogThrottle {
    interval: Duration,
    kinds: Mutex<HashMap<String, Kind>>,
}

#[derive(Debug)]
struct Kind {
    last: Instant,
    held_back: u64,
}

impl LogThrottle {
    /// At most one line per kind every `interval`.
    pub fn new(interval: Duration) -> Self {
        Self {
            interval,
            kinds: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(n)` when a line of this kind is due now: `n` lines of the kind
    /// were held back since the last one. `None`: hold this one back.
    pub fn admit(&self, kind: &str) -> Option<u64> {
        self.admit_at(kind, Instant::now())
    }

    fn admit_at(&self, kind: &str, now: Instant) -> Option<u64> {
        let mut kinds = self.kinds.lock().unwrap_or_else(|e| e.into_inner());
        match kinds.get_mut(kind) {
            None => {
                // A bounded number of kinds is expected (statuses, transports):
                // past a few hundred, the oldest are forgotten.
                if kinds.len() >= 256 {
                    kinds.clear();
                }
                kinds.insert(
                    kind.to_owned(),
                    Kind {
                        last: now,
                        held_back: 0,
                    },
                );
                Some(0)
            }
            Some(seen) if now.duration_since(seen.last) >= self.interval => {
                seen.last = now;
                Some(std::mem::take(&mut seen.held_back))
            }
            Some(seen) => {
                seen.held_back += 1;
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_kind_and_interval_with_the_count_held_back() {
        let throttle = LogThrottle::new(Duration::from_secs(1));
        let start = Instant::now();
        assert_eq!(throttle.admit_at("503", start), Some(0));
        for i in 1..=99 {
            let now = start + Duration::from_millis(i * 5);
            assert_eq!(throttle.admit_at("503", now), None);
        }
        assert_eq!(throttle.admit_at("504", start), Some(0), "another kind");
        let later = start + Duration::from_secs(1);
        assert_eq!(throttle.admit_at("503", later), Some(99));
        assert_eq!(throttle.admit_at("503", later), None);
    }
}
