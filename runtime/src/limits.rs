//! What one client may hold of a service, the same on every transport: the
//! largest request, how long receiving one may take, how long a connection may
//! sit idle, how many connections and gRPC streams are served at once, and how
//! many bytes of requests being received the whole process holds.
//!
//! [`Limits`] are the settings (flattened into every service's settings);
//! [`Edge`] is what the servers share at run time: the limits and the one
//! receive budget of the process.

use std::{sync::Arc, time::Duration};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Env var: largest request body or message, on every transport.
pub const ENV_MAX_BODY_BYTES: &str = "MAX_BODY_BYTES";
/// Env var: deadline to receive a whole request (head and body), in ms.
pub const ENV_RECEIVE_TIMEOUT_MS: &str = "RECEIVE_TIMEOUT_MS";
/// Env var: a connection with no traffic this long is closed, in seconds.
pub const ENV_IDLE_TIMEOUT_SECS: &str = "IDLE_TIMEOUT_SECS";
/// Env var: a pooled connection to another service idle this long is closed
/// or pinged, in seconds.
pub const ENV_CLIENT_IDLE_SECS: &str = "CLIENT_IDLE_SECS";
/// Env var: connections each server serves at once.
pub const ENV_MAX_CONNECTIONS: &str = "MAX_CONNECTIONS";
/// Env var: concurrent streams per gRPC connection.
pub const ENV_MAX_STREAMS: &str = "MAX_STREAMS";
/// Env var: bytes of requests being received the whole process holds at once.
pub const ENV_RECEIVE_BUDGET_BYTES: &str = "RECEIVE_BUDGET_BYTES";

/// Default largest request body, in bytes (1 MiB). Larger bodies get a 413.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// The limits every server of a service applies to its clients.
#[derive(Debug, Clone, clap::Args)]
pub struct Limits {
    /// Largest request body (HTTP) or message (tarpc frame, gRPC message) in
    /// bytes; HTTP answers a larger one with 413, gRPC with `OUT_OF_RANGE`, tarpc
    /// closes the connection.
    #[arg(long, env = ENV_MAX_BODY_BYTES, default_value_t = DEFAULT_MAX_BODY_BYTES)]
    pub max_body_bytes: usize,
    /// Deadline to receive a whole request, head and body, in milliseconds: HTTP
    /// answers 408, gRPC `DEADLINE_EXCEEDED`, tarpc closes the connection.
    #[arg(long, env = ENV_RECEIVE_TIMEOUT_MS, default_value_t = 10_000)]
    pub receive_timeout_ms: u64,
    /// A connection that sent and received nothing for this long is closed, in
    /// seconds (HTTP keep-alive, tarpc, gRPC).
    #[arg(long, env = ENV_IDLE_TIMEOUT_SECS, default_value_t = 60)]
    pub idle_timeout_secs: u64,
    /// A pooled connection to another service (the broker's to the workers,
    /// the listener's and authentication's to the logger) idle this long is
    /// closed (HTTP, tarpc) or pinged (gRPC), in seconds: keep it below the
    /// `IDLE_TIMEOUT_SECS` of the services called, so that they never close a
    /// connection a caller is about to use.
    #[arg(long, env = ENV_CLIENT_IDLE_SECS, default_value_t = 30)]
    pub client_idle_secs: u64,
    /// Connections each server (HTTP, tarpc, gRPC) serves at once; tarpc and gRPC
    /// close extra ones at once, HTTP leaves them waiting in the listen backlog.
    #[arg(long, env = ENV_MAX_CONNECTIONS, default_value_t = 1024)]
    pub max_connections: usize,
    /// Concurrent streams (calls) per gRPC connection; more are refused.
    #[arg(long, env = ENV_MAX_STREAMS, default_value_t = 128)]
    pub max_streams: u32,
    /// Bytes of requests being received that the whole process holds at once,
    /// over every transport; a request that would pass it is refused (HTTP 503
    /// `busy`, gRPC `RESOURCE_EXHAUSTED`, tarpc closes the connection).
    #[arg(long, env = ENV_RECEIVE_BUDGET_BYTES, default_value_t = 32 * 1024 * 1024)]
    pub receive_budget_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            receive_timeout_ms: 10_000,
            idle_timeout_secs: 60,
            client_idle_secs: 30,
            max_connections: 1024,
            max_streams: 128,
            receive_budget_bytes: 32 * 1024 * 1024,
        }
    }
}

impl Limits {
    /// The deadline to receive a whole request.
    pub fn receive_timeout(&self) -> Duration {
        Duration::from_millis(self.receive_timeout_ms)
    }

    /// How long a connection may sit idle.
    pub fn idle_timeout(&self) -> Duration {
        Duration::from_secs(self.idle_timeout_secs)
    }

    /// How long a pooled connection to another service may sit idle.
    pub fn client_idle(&self) -> Duration {
        Duration::from_secs(self.client_idle_secs.max(1))
    }
}

/// The limits and the process's one receive budget, shared by its servers.
#[derive(Debug, Clone)]
pub struct Edge {
    limits: Limits,
    budget: Arc<Semaphore>,
}

/// Bytes of the receive budget held by a request being received; given back
/// when dropped.
#[derive(Debug, Default)]
pub struct Held(Option<OwnedSemaphorePermit>);

impl Edge {
    /// The servers' shared state for `limits`.
    pub fn new(limits: &Limits) -> Self {
        let bytes = limits.receive_budget_bytes.min(Semaphore::MAX_PERMITS);
        Self {
            limits: limits.clone(),
            budget: Arc::new(Semaphore::new(bytes)),
        }
    }

    /// The limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Takes `bytes` more of the receive budget into `held`, at once or not at
    /// all: `false` when the budget has not that much left.
    pub fn take(&self, held: &mut Held, bytes: usize) -> bool {
        if bytes == 0 {
            return true;
        }
        let Ok(bytes) = u32::try_from(bytes) else {
            return false;
        };
        match Arc::clone(&self.budget).try_acquire_many_owned(bytes) {
            Ok(permit) => {
                match &mut held.0 {
                    Some(all) => all.merge(permit),
                    none => *none = Some(permit),
                }
                true
            }
            Err(_) => {
                crate::metrics::edge_refused("budget");
                false
            }
        }
    }

    /// Bytes of the budget left.
    pub fn available(&self) -> usize {
        self.budget.available_permits()
    }

    /// A cap of [`Limits::max_connections`] for one server.
    pub fn connection_cap(&self) -> Arc<Semaphore> {
        Arc::new(Semaphore::new(self.limits.max_connections))
    }
}

impl Default for Edge {
    fn default() -> Self {
        Self::new(&Limits::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(budget: usize) -> Edge {
        Edge::new(&Limits {
            receive_budget_bytes: budget,
            ..Limits::default()
        })
    }

    #[test]
    fn the_budget_is_taken_whole_or_not_at_all_and_given_back_on_drop() {
        let edge = edge(100);
        let mut first = Held::default();
        assert!(edge.take(&mut first, 60));
        assert!(edge.take(&mut first, 30));
        let mut second = Held::default();
        assert!(!edge.take(&mut second, 20), "only 10 bytes are left");
        assert!(edge.take(&mut second, 10));
        assert_eq!(edge.available(), 0);
        drop(first);
        assert_eq!(edge.available(), 90);
    }

    #[test]
    fn more_than_the_whole_budget_is_never_granted() {
        let edge = edge(100);
        assert!(!edge.take(&mut Held::default(), 101));
        assert!(!edge.take(&mut Held::default(), usize::MAX));
        assert_eq!(edge.available(), 100);
    }
}
