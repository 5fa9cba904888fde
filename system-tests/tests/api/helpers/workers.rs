//! The workers a [`TestApp`](super::TestApp) starts, each with what it takes to
//! start it again on the ports it bound (a restart).

use std::{future::Future, pin::Pin};

use protocol::Worker;
use runtime::{
    service::Service,
    worker::{DefaultAddrs, Ports, ServerSettings},
};
use testkit::{Running, TestAmqp, WorkerAddrs};

/// Starts a worker again, on the ports it had.
type Restart = Box<dyn Fn() -> Pin<Box<dyn Future<Output = Running> + Send>> + Send + Sync>;

/// One running worker.
pub struct Started {
    pub worker: Worker,
    pub running: Option<Running>,
    restart: Restart,
}

/// The workers a test starts, in order, serving AMQP in `amqp`'s namespace.
pub struct Workers<'a> {
    amqp: &'a TestAmqp,
    /// Those started so far.
    pub started: Vec<Started>,
}

impl<'a> Workers<'a> {
    /// None yet.
    pub fn new(amqp: &'a TestAmqp) -> Self {
        Self {
            amqp,
            started: Vec::new(),
        }
    }

    /// Builds the worker `S` from `settings` (port 0: any) and spawns it, with
    /// how to restart it on the ports it bound; returns where it listens, once
    /// it consumes its request queue. Without settings (not in the test's
    /// stack), where it would listen: closed ports.
    pub async fn start<S, D>(
        &mut self,
        worker: Worker,
        settings: Option<S::Settings>,
        server: fn(&mut S::Settings) -> &mut ServerSettings<D>,
    ) -> WorkerAddrs
    where
        S: Service<Ports = Ports>,
        S::Settings: Clone + Send + Sync + 'static,
        D: DefaultAddrs,
    {
        let Some(mut settings) = settings else {
            return WorkerAddrs::nowhere(worker);
        };
        let (running, ports) = Running::build::<S>(settings.clone()).await;
        let addrs = WorkerAddrs::of(worker, ports);
        bind_to(server(&mut settings), &addrs);
        let nats = server(&mut settings).nats.clone();
        let restart: Restart = Box::new(move || {
            let settings = settings.clone();
            Box::pin(async move { Running::build::<S>(settings).await.0 })
        });
        self.started.push(Started {
            worker,
            running: Some(running),
            restart,
        });
        self.amqp.wait_until_served_at(worker, &nats).await;
        addrs
    }
}

/// Makes `server` bind where `addrs` says (a restart's ports).
pub fn bind_to<D: DefaultAddrs>(server: &mut ServerSettings<D>, addrs: &WorkerAddrs) {
    let bind = |url: &str| url.trim_start_matches("http://").to_owned();
    server.http_addr = bind(&addrs.http);
    server.rpc_addr = bind(&addrs.rpc);
    server.grpc_addr = bind(&addrs.grpc);
}

impl Started {
    /// Stops it (it must exit cleanly).
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.stop().await;
        }
    }

    /// Starts it again on its ports (stopping it first if it runs).
    pub async fn restart(&mut self) {
        self.stop().await;
        self.running = Some((self.restart)().await);
    }
}
