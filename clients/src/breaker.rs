//! A circuit breaker per worker and transport.
//!
//! After `threshold` consecutive failures that say the worker cannot be reached
//! (connection refused, timeout, its own dependency down), the breaker *opens*:
//! calls fail at once with [`CallError::CircuitOpen`] instead of each waiting for
//! a refused connection or a timeout. After `cool_down` it lets one trial call
//! through (*half-open*); a success closes it, a failure opens it again. Answers
//! that prove the worker is up (a success, a 4xx, a failure of the call itself)
//! reset the count, and so does a call the worker shed because it is busy.
//!
//! Its state is the gauge `flexi_broker_circuit_open{worker,transport}`: 1 while
//! open or half-open, 0 while closed.

use std::{
    collections::HashMap,
    future::Future,
    pin::Pin,
    sync::{Arc, Mutex},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use protocol::{Answer, Transport, Worker};

use crate::{CallError, Request};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { trial_started: Instant },
}

/// The gauge of every breaker's state.
pub const CIRCUIT_OPEN: &str = "flexi_broker_circuit_open";

/// One breaker; cheap to check on every call.
#[derive(Debug)]
pub struct Breaker {
    worker: &'static str,
    transport: &'static str,
    threshold: u32,
    cool_down: Duration,
    state: Mutex<State>,
}

impl Breaker {
    /// A closed breaker for `worker` (named in its errors) over `transport`.
    pub fn new(
        worker: &'static str,
        transport: &'static str,
        threshold: u32,
        cool_down: Duration,
    ) -> Self {
        let breaker = Self {
            worker,
            transport,
            threshold: threshold.max(1),
            cool_down,
            state: Mutex::new(State::Closed { failures: 0 }),
        };
        breaker.publish(State::Closed { failures: 0 });
        breaker
    }

    /// Sets the state's gauge.
    fn publish(&self, state: State) {
        let open = if matches!(state, State::Closed { .. }) {
            0.0
        } else {
            1.0
        };
        let labels = [("worker", self.worker), ("transport", self.transport)];
        metrics::gauge!(CIRCUIT_OPEN, &labels).set(open);
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether a call may go: `Err` while open (or while a half-open trial runs).
    pub fn admit(&self) -> Result<(), CallError> {
        let mut state = self.state();
        let now = Instant::now();
        match *state {
            State::Closed { .. } => Ok(()),
            State::Open { until } if now >= until => {
                tracing::info!(worker = self.worker, "circuit half-open: one trial call");
                *state = State::HalfOpen { trial_started: now };
                self.publish(*state);
                Ok(())
            }
            // A trial that never reported back (its caller went away) is replaced.
            State::HalfOpen { trial_started } if now >= trial_started + self.cool_down => {
                *state = State::HalfOpen { trial_started: now };
                Ok(())
            }
            State::Open { .. } | State::HalfOpen { .. } => {
                Err(CallError::CircuitOpen(self.worker.to_owned()))
            }
        }
    }

    /// Records how an admitted call ended.
    pub fn record<T>(&self, result: &Result<T, CallError>) {
        let mut state = self.state();
        let down = matches!(result, Err(e) if e.is_outage());
        let was_closed = matches!(*state, State::Closed { .. });
        *state = match (*state, down) {
            (_, false) => {
                if !matches!(*state, State::Closed { .. }) {
                    tracing::info!(
                        worker = self.worker,
                        "circuit closed: the worker answers again"
                    );
                }
                State::Closed { failures: 0 }
            }
            (State::Closed { failures }, true) if failures + 1 < self.threshold => State::Closed {
                failures: failures + 1,
            },
            (_, true) => {
                tracing::warn!(worker = self.worker, cool_down = ?self.cool_down, "circuit open: failing fast");
                State::Open {
                    until: Instant::now() + self.cool_down,
                }
            }
        };
        // The gauge changes only with the state (not on every call).
        if was_closed != matches!(*state, State::Closed { .. }) {
            self.publish(*state);
        }
    }
}

/// A breaker for every worker × transport, found by their names.
#[derive(Debug)]
pub struct Breakers(HashMap<(Worker, Transport), Breaker>);

impl Breakers {
    /// Breakers that open after `threshold` consecutive failures for `cool_down`.
    pub fn new(threshold: u32, cool_down: Duration) -> Self {
        let pairs = Worker::ALL
            .into_iter()
            .flat_map(|w| Transport::ALL.map(|t| (w, t)));
        let breakers = pairs.map(|(worker, transport)| {
            let breaker = Breaker::new(worker.name(), transport.as_str(), threshold, cool_down);
            ((worker, transport), breaker)
        });
        Self(breakers.collect())
    }

    /// The breaker of `worker` over `transport`.
    pub fn get(&self, worker: Worker, transport: Transport) -> Option<&Breaker> {
        self.0.get(&(worker, transport))
    }
}

/// The layer that puts each call through its worker's breaker over one
/// transport ([`crate::stack`]).
#[derive(Debug, Clone)]
pub struct BreakerLayer {
    breakers: Arc<Breakers>,
    transport: Transport,
}

impl BreakerLayer {
    /// Calls over `transport`, through `breakers`.
    pub fn new(breakers: Arc<Breakers>, transport: Transport) -> Self {
        Self {
            breakers,
            transport,
        }
    }
}

impl<S> tower::Layer<S> for BreakerLayer {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Guarded<S> {
        Guarded {
            inner,
            layer: self.clone(),
        }
    }
}

/// A client whose calls go through their breaker.
#[derive(Debug, Clone)]
pub struct Guarded<S> {
    inner: S,
    layer: BreakerLayer,
}

impl<S> tower::Service<Request> for Guarded<S>
where
    S: tower::Service<Request, Response = Answer, Error = CallError>,
    S::Future: Send + 'static,
{
    type Response = Answer;
    type Error = CallError;
    type Future = Pin<Box<dyn Future<Output = Result<Answer, CallError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let breakers = Arc::clone(&self.layer.breakers);
        let key = (request.call.worker(), self.layer.transport);
        if let Some(breaker) = breakers.get(key.0, key.1)
            && let Err(open) = breaker.admit()
        {
            return Box::pin(std::future::ready(Err(open)));
        }
        let answer = self.inner.call(request);
        Box::pin(async move {
            let result = answer.await;
            if let Some(breaker) = breakers.get(key.0, key.1) {
                breaker.record(&result);
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn down() -> Result<(), CallError> {
        Err(CallError::Unreachable("logger".into()))
    }

    #[test]
    fn opens_after_the_threshold_half_opens_after_the_cool_down_and_closes_on_success() {
        let breaker = Breaker::new("logger", "http", 3, Duration::from_millis(30));
        for _ in 0..3 {
            assert!(breaker.admit().is_ok());
            breaker.record(&down());
        }
        assert_eq!(
            breaker.admit(),
            Err(CallError::CircuitOpen("logger".into()))
        );
        std::thread::sleep(Duration::from_millis(40));
        assert!(breaker.admit().is_ok(), "one trial");
        assert!(breaker.admit().is_err(), "only one trial at a time");
        breaker.record(&Ok::<(), CallError>(()));
        assert!(breaker.admit().is_ok());
    }

    #[test]
    fn shed_rejected_and_unauthorized_calls_never_open_it() {
        use protocol::WorkerError;
        let breaker = Breaker::new("authentication", "grpc", 2, Duration::from_secs(60));
        for error in [
            WorkerError::Busy("busy".into()),
            WorkerError::Invalid("bad".into()),
            WorkerError::Unauthorized,
        ] {
            for _ in 0..3 {
                breaker.record(&Err::<(), _>(CallError::Worker(error.clone())));
            }
            assert!(breaker.admit().is_ok(), "{error:?} proves the worker is up");
        }
    }

    #[test]
    fn a_failed_trial_opens_it_again_and_answers_reset_the_count() {
        let breaker = Breaker::new("logger", "http", 2, Duration::from_millis(10));
        breaker.record(&down());
        breaker.record(&Err::<(), _>(CallError::Worker(
            protocol::WorkerError::Invalid("x".into()),
        )));
        breaker.record(&down());
        assert!(breaker.admit().is_ok(), "the 4xx reset the count");
        breaker.record(&down());
        assert!(breaker.admit().is_err());
        std::thread::sleep(Duration::from_millis(15));
        assert!(breaker.admit().is_ok());
        breaker.record(&down());
        assert!(breaker.admit().is_err(), "the failed trial opened it again");
    }
}
