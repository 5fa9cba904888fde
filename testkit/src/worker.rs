//! The workers (logger, authentication, mail) under test: one spawned on port 0
//! with an AMQP namespace of its own ([`TestWorker`]), where a worker listens
//! ([`WorkerAddrs`]), and the typed clients that call it there.

use std::time::Duration;

use clients::{
    CallError, CallService, Request, Sender, amqp::AmqpClient, grpc::GrpcClient, http::HttpClient,
    rpc::RpcClient,
};
use protocol::{Answer, Call, PerWorker, Transport, Worker};
use runtime::{
    service::Service,
    worker::{DefaultAddrs, Ports, ServerSettings},
};
use tower::ServiceExt;

use crate::{
    amqp::{TestAmqp, amqp_url},
    names::closed_port,
    service::{Running, http_url, local},
};

/// A worker's servers on port 0 (one HTTP thread), serving AMQP in `amqp`'s
/// namespace.
pub fn serve_on_any_port<D: DefaultAddrs>(server: &mut ServerSettings<D>, amqp: &TestAmqp) {
    server.on_any_port();
    server.amqp = amqp.settings();
    server.nats = amqp.nats_settings();
}

/// Where one worker listens, on each transport that has an address (AMQP
/// reaches it through its request queue instead).
#[derive(Debug, Clone)]
pub struct WorkerAddrs {
    /// The worker.
    pub worker: Worker,
    /// Its HTTP API's base URL, `http://127.0.0.1:<port>`.
    pub http: String,
    /// Its tarpc server's address, `127.0.0.1:<port>`.
    pub rpc: String,
    /// Its gRPC server's URL, `http://127.0.0.1:<port>`.
    pub grpc: String,
}

impl WorkerAddrs {
    /// `worker` on the local `ports`.
    pub fn of(worker: Worker, ports: Ports) -> Self {
        Self {
            worker,
            http: http_url(ports.http),
            rpc: local(ports.rpc),
            grpc: http_url(ports.grpc),
        }
    }

    /// `worker` on port 0 of each server: for a service to bind any port.
    pub fn any(worker: Worker) -> Self {
        let any = Ports {
            http: 0,
            rpc: 0,
            grpc: 0,
        };
        Self::of(worker, any)
    }

    /// `worker` where nothing listens.
    pub fn nowhere(worker: Worker) -> Self {
        let closed = Ports {
            http: closed_port(),
            rpc: closed_port(),
            grpc: closed_port(),
        };
        Self::of(worker, closed)
    }

    /// What a client is given: `address` for this worker, none (not
    /// configured) for the others.
    fn endpoints(&self, address: &str) -> PerWorker<String> {
        PerWorker::from_fn(|worker| {
            if worker == self.worker {
                address.to_owned()
            } else {
                String::new()
            }
        })
    }
}

/// A worker a test built and spawned on port 0, serving AMQP in a namespace of
/// its own; [`TestWorker::stop`] stops it and deletes the namespace.
#[must_use = "a TestWorker is stopped with `stop`"]
pub struct TestWorker {
    /// Where it listens.
    pub addrs: WorkerAddrs,
    /// Its AMQP namespace (its request queue is `<worker>_requests.<namespace>`).
    pub amqp: TestAmqp,
    running: Running,
}

impl TestWorker {
    /// Builds the worker `S` from `settings(&namespace)` (a fresh namespace;
    /// [`serve_on_any_port`] makes the settings bind port 0) and spawns it.
    pub async fn spawn<S: Service<Ports = Ports>>(
        worker: Worker,
        settings: impl FnOnce(&TestAmqp) -> S::Settings,
    ) -> Self {
        runtime::telemetry::init_for_tests();
        let amqp = TestAmqp::new();
        let (running, ports) = Running::build::<S>(settings(&amqp)).await;
        Self {
            addrs: WorkerAddrs::of(worker, ports),
            amqp,
            running,
        }
    }

    /// An HTTP client of this worker, each call taking at most `timeout`.
    pub fn http_client(&self, timeout: Duration) -> TestClient {
        let endpoints = self.addrs.endpoints(&self.addrs.http);
        let client = HttpClient::new(endpoints, IDLE, timeout).expect("an HTTP client");
        TestClient::new(client, Transport::Http, timeout)
    }

    /// A tarpc client of this worker.
    pub fn rpc_client(&self, timeout: Duration) -> TestClient {
        let client = RpcClient::new(&self.addrs.endpoints(&self.addrs.rpc), IDLE);
        TestClient::new(client, Transport::Rpc, timeout)
    }

    /// A gRPC client of this worker.
    pub fn grpc_client(&self, timeout: Duration) -> TestClient {
        let endpoints = self.addrs.endpoints(&self.addrs.grpc);
        let client = GrpcClient::new(&endpoints, IDLE, timeout).expect("valid URLs");
        TestClient::new(client, Transport::Grpc, timeout)
    }

    /// An AMQP client of this worker's namespace, once the worker consumes its
    /// request queue.
    pub async fn amqp_client(&self, timeout: Duration) -> TestClient {
        self.amqp.wait_until_served(self.addrs.worker).await;
        let names = self.amqp.names.clone();
        let client = AmqpClient::new(amqp_url(), names, "test", 1, timeout);
        TestClient::new(client, Transport::Amqp, timeout)
    }

    /// Stops the worker (it must exit cleanly) and deletes its namespace.
    pub async fn stop(self) {
        self.running.stop().await;
        self.amqp.delete().await;
    }
}

/// How long a test client's pooled connection may sit idle.
const IDLE: Duration = Duration::from_secs(30);

/// One transport's client of a worker, as a service calls it
/// ([`clients::stack`], without a circuit breaker): each call due within
/// `timeout`.
#[derive(Clone)]
pub struct TestClient {
    service: CallService,
    timeout: Duration,
}

impl TestClient {
    /// `client` behind the shared layers.
    pub fn new(client: impl Sender, transport: Transport, timeout: Duration) -> Self {
        let service = clients::stack(client, transport, None);
        Self { service, timeout }
    }

    /// Sends `call` and waits for its answer.
    pub async fn call(&self, call: &Call) -> Result<Answer, CallError> {
        let request = Request::new(call.clone(), self.timeout);
        self.service.clone().oneshot(request).await
    }
}
