//! One validated call → one transport, under one deadline, timed.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use clients::{CallError, breaker::Breaker, grpc::GrpcWorkers, http::HttpWorkers, rpc::RpcWorkers};
use protocol::{Call, Dispatch, Transport, User, amqp::AmqpRequest};

use crate::amqp::AmqpClient;

/// The broker's message for a stored log entry.
pub const LOGGED: &str = "logged";
/// The broker's message for a log event accepted by RabbitMQ (the original's).
pub const LOGGED_VIA_RABBITMQ: &str = "logged via RabbitMQ";

/// The broker's message for a successful login (the contract's).
pub const AUTHENTICATED: &str = "Authenticated";

/// What a successful dispatch answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The credentials matched this user.
    Authenticated(User),
    /// The entry is stored (HTTP, RPC, gRPC, AMQP request/reply).
    Logged,
    /// The event is in RabbitMQ's durable queue; the listener stores it.
    Queued,
    /// The SMTP server accepted the mail for this recipient.
    Sent {
        /// The recipient.
        to: String,
    },
    /// The worker answered a ping.
    Pong,
}

impl Answer {
    /// The `message` of the broker's answer.
    pub fn message(&self) -> String {
        match self {
            Answer::Authenticated(_) => AUTHENTICATED.to_owned(),
            Answer::Logged => LOGGED.to_owned(),
            Answer::Queued => LOGGED_VIA_RABBITMQ.to_owned(),
            Answer::Sent { to } => format!("Message sent to {to}"),
            Answer::Pong => protocol::PONG.to_owned(),
        }
    }

    /// The `data` of the broker's answer: the user of a login.
    pub fn into_data(self) -> Option<User> {
        match self {
            Answer::Authenticated(user) => Some(user),
            _ => None,
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
///
/// A clone shares the RabbitMQ connection, the HTTP pool and the circuit
/// breakers; [`Dispatcher::for_this_runtime`] gives it tarpc and gRPC
/// connections of its own.
#[derive(Clone)]
pub struct Dispatcher {
    /// HTTP clients of the workers.
    pub http: HttpWorkers,
    /// tarpc clients of the workers.
    pub rpc: RpcWorkers,
    /// gRPC clients of the workers.
    pub grpc: GrpcWorkers,
    /// RabbitMQ client (one connection for the whole broker).
    pub amqp: Arc<AmqpClient>,
    /// Deadline of one dispatch.
    pub timeout: Duration,
    /// One circuit breaker per worker and transport, shared by every clone.
    pub breakers: Arc<Breakers>,
}

/// The workers a call can go to.
const WORKERS: [&str; 3] = ["logger", "authentication", "mail"];

/// A circuit breaker for every worker × transport.
pub struct Breakers(Vec<Breaker>);

impl Breakers {
    /// Breakers that open after `threshold` consecutive failures for `cool_down`.
    pub fn new(threshold: u32, cool_down: Duration) -> Self {
        Self(
            WORKERS
                .iter()
                .flat_map(|w| {
                    Transport::ALL
                        .iter()
                        .map(move |_| Breaker::new(w, threshold, cool_down))
                })
                .collect(),
        )
    }

    fn get(&self, call: &Call, transport: Transport) -> &Breaker {
        let worker = match call {
            Call::Log(_) | Call::Ping => 0,
            Call::Auth(_) => 1,
            Call::Mail(_) => 2,
        };
        let transport = Transport::ALL
            .iter()
            .position(|t| *t == transport)
            .unwrap_or_default();
        &self.0[worker * Transport::ALL.len() + transport]
    }
}

/// Whether a call may be sent again after it failed to reach its worker: only
/// the ones that change nothing (a ping, a login check). A log entry or a mail
/// is never repeated, so it cannot be stored or sent twice.
fn safe_to_repeat(call: &Call) -> bool {
    matches!(call, Call::Ping | Call::Auth(_))
}

impl Dispatcher {
    /// A clone whose tarpc and gRPC connections are made from the calling
    /// thread's runtime (an actix-web worker's), so their calls do not cross
    /// threads. See [`GrpcWorkers::on_this_runtime`].
    pub fn for_this_runtime(&self) -> Self {
        Self {
            rpc: self.rpc.on_this_runtime(),
            grpc: self.grpc.on_this_runtime(),
            ..self.clone()
        }
    }

    /// Runs one call over the transport it names (or its action's default) and
    /// times it. Never takes longer than the deadline.
    pub async fn dispatch(&self, dispatch: &Dispatch) -> Dispatched {
        let transport = dispatch.transport.unwrap_or(match dispatch.call {
            // The original's defaults: log entries through RabbitMQ, the rest over HTTP.
            Call::Log(_) => Transport::Amqp,
            Call::Auth(_) | Call::Mail(_) | Call::Ping => Transport::Http,
        });
        let started = Instant::now();
        let breaker = self.breakers.get(&dispatch.call, transport);
        let attempt = async {
            breaker.admit()?;
            let mut result = self.call(dispatch, transport).await;
            if matches!(result, Err(CallError::Unreachable(_))) && safe_to_repeat(&dispatch.call) {
                // The request never reached the worker: one more try, after a moment.
                tokio::time::sleep(Duration::from_millis(50)).await;
                result = self.call(dispatch, transport).await;
            }
            breaker.record(&result);
            result
        };
        let result = tokio::time::timeout(self.timeout, attempt)
            .await
            .unwrap_or_else(|_| {
                let timeout = Err(CallError::Timeout(format!("the {transport} dispatch")));
                breaker.record(&timeout);
                timeout
            });
        Dispatched {
            transport,
            elapsed: started.elapsed(),
            result,
        }
    }

    async fn call(&self, dispatch: &Dispatch, transport: Transport) -> Result<Answer, CallError> {
        match &dispatch.call {
            Call::Auth(credentials) => {
                let user = match transport {
                    Transport::Http => self.http.authenticate(credentials).await,
                    Transport::Rpc => self.rpc.authenticate(credentials).await,
                    Transport::Grpc => self.grpc.authenticate(credentials).await,
                    Transport::Amqp => {
                        let request = AmqpRequest::Auth {
                            auth: credentials.clone(),
                        };
                        self.amqp.call::<User>(&request).await
                    }
                };
                user.map(Answer::Authenticated)
            }
            Call::Log(entry) => match (transport, dispatch.transport) {
                // No transport named: the original's fire-and-forget event, confirmed.
                (Transport::Amqp, None) => self
                    .amqp
                    .publish_event(entry)
                    .await
                    .map(|()| Answer::Queued),
                (Transport::Amqp, Some(_)) => {
                    let request = AmqpRequest::Log { log: entry.clone() };
                    self.amqp
                        .call::<String>(&request)
                        .await
                        .map(|_| Answer::Logged)
                }
                (Transport::Http, _) => self.http.log(entry).await.map(|_| Answer::Logged),
                (Transport::Rpc, _) => self.rpc.log(entry).await.map(|_| Answer::Logged),
                (Transport::Grpc, _) => self.grpc.log(entry).await.map(|_| Answer::Logged),
            },
            Call::Mail(mail) => {
                let sent = match transport {
                    Transport::Http => self.http.send_mail(mail).await,
                    Transport::Rpc => self.rpc.send_mail(mail).await,
                    Transport::Grpc => self.grpc.send_mail(mail).await,
                    Transport::Amqp => {
                        let request = AmqpRequest::Mail { mail: mail.clone() };
                        self.amqp.call::<String>(&request).await
                    }
                };
                sent.map(|_| Answer::Sent {
                    to: mail.to.trim().to_owned(),
                })
            }
            Call::Ping => {
                let pong = match transport {
                    Transport::Http => self.http.ping().await,
                    Transport::Rpc => self.rpc.ping().await,
                    Transport::Grpc => self.grpc.ping().await,
                    Transport::Amqp => self.amqp.call::<String>(&AmqpRequest::Ping).await,
                };
                pong.map(|_| Answer::Pong)
            }
        }
    }
}
