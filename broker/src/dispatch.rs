//! One validated request → one route → one call through that route's stack
//! of layers, under one deadline, timed.
//!
//! The route is decided once ([`Route::of`]): a `log` that names no transport
//! is the Go original's event (published to `logs_topic`, or to JetStream when
//! it names that bus); everything else is
//! a [`Call`] to its worker over the transport named (or the action's
//! default). Each route is a [`CallService`]: the transport's client behind
//! the layers every transport shares ([`clients::stack`]: breaker, deadline,
//! safe retry), counted in flight ([`clients::layers::in_flight`]).

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use clients::{
    CallError, CallService, Request, Sender, amqp::AmqpClient, breaker::Breakers, grpc::GrpcClient,
    http::HttpClient, layers::in_flight, nats::NatsClient, rpc::RpcClient,
};
use protocol::{Answer, Bus, Call, Data, Dispatch, ServerTiming, Transport};
use tower::ServiceExt;

pub use clients::{amqp::LOGGED_VIA_RABBITMQ, layers::CALLS_IN_FLIGHT, nats::LOGGED_VIA_JETSTREAM};

/// Where a call goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// To its worker, over a transport.
    Call(Transport),
    /// The Go original's event: a log entry published on a bus (RabbitMQ's
    /// `logs_topic`, or JetStream), stored by the listener.
    Event(Bus),
}

impl Route {
    /// Every route.
    pub fn all() -> impl Iterator<Item = Route> {
        let events = Bus::ALL.map(Route::Event);
        Transport::ALL.into_iter().map(Route::Call).chain(events)
    }

    /// The route of a `/handle` request: a `log` that names no transport is the
    /// original's event, on the bus it names (RabbitMQ's by default); any
    /// other call goes over the transport named, or its action's default.
    pub fn of(dispatch: &Dispatch) -> Route {
        match (dispatch.transport, &dispatch.call) {
            (None, Call::Log { .. }) => Route::Event(dispatch.bus.unwrap_or(Bus::Rabbitmq)),
            (named, call) => Route::Call(named.unwrap_or(call.action().default_transport())),
        }
    }

    /// The transport it travels over (an event: its bus's).
    pub fn transport(self) -> Transport {
        match self {
            Route::Call(transport) => transport,
            Route::Event(bus) => bus.transport(),
        }
    }
}

/// What a successful dispatch answers: the broker's message and what the
/// action answered, as the worker sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The `message` of the broker's answer (the contract's words for the action).
    pub message: String,
    /// What the action answered (a login's user and token).
    pub data: Data,
    /// The worker's account of its time, when it gave one.
    pub timing: Option<ServerTiming>,
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

/// Long-lived clients of every transport, shared by every thread of the broker.
#[derive(Clone)]
pub struct Clients {
    /// HTTP, to each worker's `POST /call`.
    pub http: HttpClient,
    /// tarpc.
    pub rpc: RpcClient,
    /// gRPC.
    pub grpc: GrpcClient,
    /// RabbitMQ (one connection for the whole broker): request/reply and events.
    pub amqp: AmqpClient,
    /// NATS (one connection for the whole broker): request/reply and events.
    pub nats: NatsClient,
    /// One circuit breaker per worker and transport.
    pub breakers: Arc<Breakers>,
    /// The deadline of one dispatch.
    pub timeout: Duration,
}

impl Clients {
    /// A dispatcher whose tarpc and gRPC connections are made from the calling
    /// thread's runtime (an actix-web worker's), so their calls do not cross
    /// threads (see [`GrpcClient::on_this_runtime`]); RabbitMQ, the HTTP pool
    /// and the breakers stay shared.
    pub fn dispatcher(&self) -> Dispatcher {
        let routes = Route::all()
            .map(|route| (route, self.service(route)))
            .collect();
        Dispatcher {
            routes: Arc::new(routes),
            timeout: self.timeout,
        }
    }

    /// The route's client: the one place a route names its transport's client.
    fn service(&self, route: Route) -> CallService {
        match route {
            Route::Call(Transport::Http) => self.layered(self.http.clone(), route),
            Route::Call(Transport::Amqp) => self.layered(self.amqp.clone(), route),
            Route::Call(Transport::Rpc) => self.layered(self.rpc.on_this_runtime(), route),
            Route::Call(Transport::Grpc) => self.layered(self.grpc.on_this_runtime(), route),
            Route::Call(Transport::Nats) => self.layered(self.nats.clone(), route),
            Route::Event(Bus::Rabbitmq) => self.layered(self.amqp.events(), route),
            Route::Event(Bus::Nats) => self.layered(self.nats.events(), route),
        }
    }

    /// `client` behind the layers every transport shares, counted in flight.
    fn layered(&self, client: impl Sender, route: Route) -> CallService {
        let transport = route.transport();
        let stack = clients::stack(client, transport, Some(Arc::clone(&self.breakers)));
        in_flight(stack, transport)
    }
}

/// Every route's service, made on one thread.
#[derive(Clone)]
pub struct Dispatcher {
    routes: Arc<HashMap<Route, CallService>>,
    timeout: Duration,
}

impl Dispatcher {
    /// Sends `call` along `route` and times it. Never takes longer than the
    /// deadline.
    pub async fn dispatch(&self, call: &Arc<Call>, route: Route) -> Dispatched {
        let started = Instant::now();
        let request = Request {
            call: Arc::clone(call),
            deadline: tokio::time::Instant::from_std(started) + self.timeout,
        };
        let result = match self.routes.get(&route) {
            Some(service) => service.clone().oneshot(request).await,
            None => Err(CallError::Unreachable(call.worker().name().to_owned())),
        };
        Dispatched {
            transport: route.transport(),
            elapsed: started.elapsed(),
            result: result.and_then(|answer| accepted(call, route, answer)),
        }
    }
}

/// The broker's answer to a call the worker answered: the contract's words for
/// the action, what the action answered (which must be that action's, and a
/// ping's echo its data, or the answer is not the contract: 502).
fn accepted(call: &Call, route: Route, answer: Answer) -> Result<Accepted, CallError> {
    let worker = call.worker().name();
    let invalid = |why: String| {
        runtime::throttled!(warn, "the worker's answer is not the contract", worker, transport = %route.transport(), error = %why);
        CallError::Protocol(worker.to_owned())
    };
    if answer.data.action() != call.action() {
        return Err(invalid(format!(
            "a {} call answered as {}",
            call.action(),
            answer.data.action()
        )));
    }
    let echo_bytes = call
        .echoed(&answer)
        .map_err(|mismatch| invalid(mismatch.to_string()))?;
    let message = match route {
        Route::Event(_) => answer.message,
        Route::Call(_) => call.accepted(),
    };
    Ok(Accepted {
        message,
        data: answer.data,
        timing: answer.timing,
        echo_bytes,
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
        let answer =
            |echo: Option<&str>| Answer::new(protocol::PONG, Data::Ping(echo.map(str::to_owned)));
        let grpc = Route::Call(Transport::Grpc);
        let check = |echo| accepted(&ping, grpc, answer(echo)).map(|a| a.echo_bytes);
        assert_eq!(check(Some("abc")), Ok(Some(3)));
        for wrong in [None, Some(""), Some("abcd")] {
            let invalid = Err(CallError::Protocol("logger".into()));
            assert_eq!(check(wrong), invalid, "{wrong:?}");
        }
        // A plain ping sent nothing: nothing to check.
        let plain = Call::Ping { ping: None };
        let http = Route::Call(Transport::Http);
        assert_eq!(
            accepted(&plain, http, answer(None)).map(|a| a.echo_bytes),
            Ok(None)
        );
        // An answer of another action is not the contract.
        let logged = Answer::new("logged", Data::Log);
        assert!(matches!(
            accepted(&plain, http, logged),
            Err(CallError::Protocol(_))
        ));
    }
}
