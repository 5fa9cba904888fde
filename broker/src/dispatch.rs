//! One validated request → one route → one client call, under one deadline,
//! timed.
//!
//! The route is decided once: a `log` that names no transport is the Go
//! original's event (published to `logs_topic`); everything else is a [`Call`]
//! to its worker over the transport named (or the action's default), through
//! that worker's circuit breaker, with [`WorkerClient::call`].

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use clients::{
    CallError, WorkerClient, amqp::AmqpClient, breaker::Breaker, grpc::GrpcWorkers,
    http::HttpWorkers, rpc::RpcWorkers,
};
use protocol::{Answer, Call, Dispatch, PerWorker, ServerTiming, Transport, User, Worker};

/// The broker's message for a log event accepted by RabbitMQ (the original's).
pub const LOGGED_VIA_RABBITMQ: &str = "logged via RabbitMQ";

/// What a successful dispatch answers: the broker's message (the contract's
/// words for the action) and the worker's data, as the worker sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The `message` of the broker's answer.
    pub message: String,
    /// The worker's result (the user of a login).
    pub data: Option<User>,
    /// The worker's account of its time, when it gave one.
    pub timing: Option<ServerTiming>,
    /// A login's token.
    pub token: Option<String>,
    /// Bytes of a ping's data the worker echoed (as many as were sent: checked);
    /// `None` when the call sent none.
    pub echo_bytes: Option<usize>,
}

/// The result of one dispatch, with the transport it used and how long it took.
#[derive(Debug)]
pub struct Dispatched {
    /// The transport the call travelled over.
    pub transport: Transport,
    /// Time from sending the call to having its answer.
    pub elapsed: Duration,
    /// The answer, or why there is none.
    pub result: Result<Accepted, CallError>,
}

/// Calls to workers in flight, by `transport` (gauge).
pub const CALLS_IN_FLIGHT: &str = "flexi_broker_calls_in_flight";

/// One call counted in [`CALLS_IN_FLIGHT`] until dropped (also when the caller
/// went away mid-call).
struct InFlight(Transport);

/// The handles of [`CALLS_IN_FLIGHT`].
static IN_FLIGHT: runtime::metrics::Handles<metrics::Gauge, 1> = runtime::metrics::Handles::new(
    |[transport]| metrics::gauge!(CALLS_IN_FLIGHT, "transport" => transport),
);

impl InFlight {
    fn new(transport: Transport) -> Self {
        IN_FLIGHT.with([transport.as_str()], |calls| calls.increment(1.0));
        Self(transport)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        IN_FLIGHT.with([self.0.as_str()], |calls| calls.decrement(1.0));
    }
}

/// Long-lived clients of every transport.
///
/// A clone shares the RabbitMQ connection, the HTTP pool and the circuit
/// breakers; [`Dispatcher::for_this_runtime`] gives it tarpc and gRPC
/// connections of its own.
#[derive(Clone)]
pub struct Dispatcher {
    /// HTTP clients of the workers.
    pub http: HttpWorkers,
    /// tarpc clients of the workers.
    pub rpc: Arc<RpcWorkers>,
    /// gRPC clients of the workers.
    pub grpc: GrpcWorkers,
    /// RabbitMQ client (one connection for the whole broker).
    pub amqp: Arc<AmqpClient>,
    /// Deadline of one dispatch.
    pub timeout: Duration,
    /// One circuit breaker per worker and transport, shared by every clone.
    pub breakers: Arc<Breakers>,
}

/// A circuit breaker for every worker × transport.
pub struct Breakers(PerWorker<Vec<Breaker>>);

impl Breakers {
    /// Breakers that open after `threshold` consecutive failures for `cool_down`.
    pub fn new(threshold: u32, cool_down: Duration) -> Self {
        Self(PerWorker::from_fn(|worker: Worker| {
            Transport::ALL
                .iter()
                .map(|t| Breaker::new(worker.name(), t.as_str(), threshold, cool_down))
                .collect()
        }))
    }

    fn get(&self, worker: Worker, transport: Transport) -> &Breaker {
        let index = Transport::ALL
            .iter()
            .position(|t| *t == transport)
            .unwrap_or_default();
        &self.0.get(worker)[index]
    }
}

impl Dispatcher {
    /// A clone whose tarpc and gRPC connections are made from the calling
    /// thread's runtime (an actix-web worker's), so their calls do not cross
    /// threads. See [`GrpcWorkers::on_this_runtime`].
    pub fn for_this_runtime(&self) -> Self {
        Self {
            rpc: Arc::new(self.rpc.on_this_runtime()),
            grpc: self.grpc.on_this_runtime(),
            ..self.clone()
        }
    }

    /// Routes one request and times it. Never takes longer than the deadline.
    pub async fn dispatch(&self, dispatch: &Dispatch) -> Dispatched {
        let started = Instant::now();
        let call = &dispatch.call;
        let (transport, result) = match (dispatch.transport, call) {
            // No transport named: the original's fire-and-forget event, confirmed.
            (None, Call::Log { log }) => {
                let published = self.guarded(call, Transport::Amqp, || async {
                    self.amqp.publish_event(log).await?;
                    Ok(Accepted {
                        message: LOGGED_VIA_RABBITMQ.to_owned(),
                        data: None,
                        timing: None,
                        token: None,
                        echo_bytes: None,
                    })
                });
                (Transport::Amqp, published.await)
            }
            (named, call) => {
                let transport = named.unwrap_or_else(|| call.default_transport());
                let answered = self.guarded(call, transport, || async {
                    let answer: Answer = self.client_call(call, transport).await?;
                    Ok(Accepted {
                        echo_bytes: echoed(call, transport, &answer)?,
                        message: call.accepted(),
                        data: answer.data,
                        timing: answer.timing,
                        token: answer.token,
                    })
                });
                (transport, answered.await)
            }
        };
        Dispatched {
            transport,
            elapsed: started.elapsed(),
            result,
        }
    }

    /// The call over the transport's client.
    async fn client_call(&self, call: &Call, transport: Transport) -> Result<Answer, CallError> {
        match transport {
            Transport::Http => self.http.call(call).await,
            Transport::Amqp => self.amqp.call(call).await,
            Transport::Rpc => self.rpc.call(call).await,
            Transport::Grpc => self.grpc.call(call).await,
        }
    }

    /// Runs `attempt` through the worker's breaker for this transport, under the
    /// deadline; a call that never reached its worker is tried once more after
    /// 50 ms when it is safe to repeat ([`Call::is_idempotent`]).
    async fn guarded<F, Fut>(
        &self,
        call: &Call,
        transport: Transport,
        attempt: F,
    ) -> Result<Accepted, CallError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Accepted, CallError>>,
    {
        let breaker = self.breakers.get(call.worker(), transport);
        let _in_flight = InFlight::new(transport);
        let guarded = async {
            breaker.admit()?;
            let mut result = attempt().await;
            if matches!(result, Err(CallError::Unreachable(_))) && call.is_idempotent() {
                tokio::time::sleep(Duration::from_millis(50)).await;
                result = attempt().await;
            }
            breaker.record(&result);
            result
        };
        tokio::time::timeout(self.timeout, guarded)
            .await
            .unwrap_or_else(|_| {
                let timeout = Err(CallError::Timeout(format!("the {transport} dispatch")));
                breaker.record(&timeout);
                timeout
            })
    }
}

/// The bytes of a ping's data the worker echoed ([`Call::echoed`]). An echo
/// that did not come back whole is not the contract: the worker's answer is
/// invalid ([`CallError::Protocol`], 502), so a ping with data that succeeded
/// carried its size both ways.
fn echoed(call: &Call, transport: Transport, answer: &Answer) -> Result<Option<usize>, CallError> {
    call.echoed(answer).map_err(|mismatch| {
        let worker = call.worker().name();
        runtime::throttled!(warn, "the echo is not the ping's data", worker, %transport, error = %mismatch);
        CallError::Protocol(worker.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use protocol::PingPayload;

    use super::*;

    #[test]
    fn a_ping_whose_echo_is_not_its_data_is_an_invalid_answer() {
        let ping = Call::Ping {
            ping: Some(PingPayload { data: "abc".into() }),
        };
        let answer = |echo: Option<&str>| Answer {
            echo: echo.map(str::to_owned),
            ..Answer::message(protocol::PONG)
        };
        let check = |echo| echoed(&ping, Transport::Grpc, &answer(echo));
        assert_eq!(check(Some("abc")), Ok(Some(3)));
        for wrong in [None, Some(""), Some("abcd")] {
            let invalid = Err(CallError::Protocol("logger".into()));
            assert_eq!(check(wrong), invalid, "{wrong:?}");
        }
        // A plain ping sent nothing: nothing to check.
        let plain = Call::Ping { ping: None };
        assert_eq!(echoed(&plain, Transport::Http, &answer(None)), Ok(None));
    }
}
