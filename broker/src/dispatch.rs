//! One validated call → one transport, under one deadline, timed.

use std::time::{Duration, Instant};

use clients::{CallError, grpc::GrpcWorkers, http::HttpWorkers, rpc::RpcWorkers};
use protocol::{Call, Dispatch, Transport, amqp::AmqpRequest};

use crate::amqp::AmqpClient;

/// The broker's message for a stored log entry.
pub const LOGGED: &str = "logged";
/// The broker's message for a log event accepted by RabbitMQ (the original's).
pub const LOGGED_VIA_RABBITMQ: &str = "logged via RabbitMQ";

/// What a successful dispatch answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The entry is stored (HTTP, RPC, gRPC, AMQP request/reply).
    Logged,
    /// The event is in RabbitMQ's durable queue; the listener stores it.
    Queued,
}

impl Answer {
    /// The `message` of the broker's answer.
    pub fn message(&self) -> &'static str {
        match self {
            Answer::Logged => LOGGED,
            Answer::Queued => LOGGED_VIA_RABBITMQ,
        }
    }
}

/// The result of one dispatch, with the transport it used and how long it took.
#[derive(Debug)]
pub struct Dispatched {
    /// The transport the call travelled over.
    pub transport: Transport,
    /// Time from sending the call to having its answer.
    pub elapsed: Duration,
    /// The answer, or why there is none.
    pub result: Result<Answer, CallError>,
}

/// Long-lived clients of every transport.
pub struct Dispatcher {
    /// HTTP clients of the workers.
    pub http: HttpWorkers,
    /// tarpc clients of the workers.
    pub rpc: RpcWorkers,
    /// gRPC clients of the workers.
    pub grpc: GrpcWorkers,
    /// RabbitMQ client.
    pub amqp: AmqpClient,
    /// Deadline of one dispatch.
    pub timeout: Duration,
}

impl Dispatcher {
    /// Runs one call over the transport it names (or its action's default) and
    /// times it. Never takes longer than the deadline.
    pub async fn dispatch(&self, dispatch: &Dispatch) -> Dispatched {
        let transport = dispatch.transport.unwrap_or(match dispatch.call {
            // The original sent log entries through RabbitMQ.
            Call::Log(_) => Transport::Amqp,
        });
        let started = Instant::now();
        let result = tokio::time::timeout(self.timeout, self.call(dispatch, transport))
            .await
            .unwrap_or_else(|_| Err(CallError::Timeout(format!("the {transport} dispatch"))));
        Dispatched {
            transport,
            elapsed: started.elapsed(),
            result,
        }
    }

    async fn call(&self, dispatch: &Dispatch, transport: Transport) -> Result<Answer, CallError> {
        match (&dispatch.call, transport, dispatch.transport) {
            // No transport named: the original's fire-and-forget event, with a confirm.
            (Call::Log(entry), Transport::Amqp, None) => self
                .amqp
                .publish_event(entry)
                .await
                .map(|()| Answer::Queued),
            (Call::Log(entry), Transport::Amqp, Some(_)) => {
                let request = AmqpRequest::Log { log: entry.clone() };
                self.amqp
                    .call::<String>(&request)
                    .await
                    .map(|_| Answer::Logged)
            }
            (Call::Log(entry), Transport::Http, _) => {
                self.http.log(entry).await.map(|_| Answer::Logged)
            }
            (Call::Log(entry), Transport::Rpc, _) => {
                self.rpc.log(entry).await.map(|_| Answer::Logged)
            }
            (Call::Log(entry), Transport::Grpc, _) => {
                self.grpc.log(entry).await.map(|_| Answer::Logged)
            }
        }
    }
}
