//! Running a service's servers side by side.

use std::pin::Pin;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

/// One server of a service: its name (for errors) and the future that runs it.
pub type Server<'a> = (
    &'static str,
    Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send + 'a>>,
);

/// Runs every server until `shutdown` is cancelled. When one of them ends (it
/// failed, or it was stopped), the others are told to stop too, so a service
/// never runs with a server missing. Returns the first failure, if any.
pub async fn together(
    shutdown: &CancellationToken,
    servers: Vec<Server<'_>>,
) -> anyhow::Result<()> {
    let runs = servers.into_iter().map(|(name, server)| async move {
        let result = server
            .await
            .with_context(|| format!("{name} server failed"));
        shutdown.cancel();
        result
    });
    futures::future::join_all(runs).await.into_iter().collect()
}

/// Serves a bound tarpc listener ([`crate::rpc::bind`]) until a shutdown token
/// is cancelled: one task per call, at most [`crate::rpc::MAX_CONNECTIONS`]
/// connections served at once. On shutdown it stops accepting connections and
/// reading requests, then waits for the calls in flight to finish.
///
/// A macro rather than a generic function: tarpc's `Serve::serve` is an `async
/// fn` in a trait, so a generic function could not promise the compiler that the
/// call futures it spawns are `Send`; expanded with the concrete server, it can.
///
/// ```ignore
/// runtime::serve_tarpc!(listener, LoggerServer { store }.serve(), shutdown)
/// ```
#[macro_export]
macro_rules! serve_tarpc {
    ($listener:expr, $serve:expr, $shutdown:expr) => {{
        use $crate::__private::futures::StreamExt as _;
        use $crate::__private::tarpc::server::Channel as _;
        let serve = $serve;
        let in_flight = $crate::__private::tokio_util::task::TaskTracker::new();
        let tracker = &in_flight;
        let serving = $listener
            .filter_map(|conn| $crate::__private::futures::future::ready(conn.ok()))
            .map(|transport| {
                // Small answers go out at once (see `Listeners::serve`).
                let _ = transport.get_ref().set_nodelay(true);
                transport
            })
            .map($crate::__private::tarpc::server::BaseChannel::with_defaults)
            .map(|channel| {
                channel.execute(serve.clone()).for_each(move |call| {
                    tracker.spawn(call);
                    async {}
                })
            })
            .buffer_unordered($crate::rpc::MAX_CONNECTIONS)
            .for_each(|()| async {});
        ::tokio::select! {
            () = serving => {}
            () = $shutdown.cancelled() => {}
        }
        in_flight.close();
        in_flight.wait().await;
    }};
}

/// The three listeners of a worker (HTTP, tarpc, gRPC), bound in `build` so
/// tests can bind port 0 and read the real ports back.
pub struct Listeners<Req, Resp> {
    http: actix_web::dev::Server,
    http_port: u16,
    rpc: crate::rpc::RpcListener<Req, Resp>,
    rpc_port: u16,
    grpc: tokio::net::TcpListener,
    grpc_port: u16,
}

impl<Req, Resp> Listeners<Req, Resp>
where
    Req: for<'de> serde::Deserialize<'de>,
    Resp: serde::Serialize,
{
    /// Binds the HTTP server (its app configured by `configure`), the tarpc
    /// listener and the gRPC listener.
    pub async fn bind<F>(
        http: (&str, usize, F),
        rpc_addr: &str,
        grpc_addr: &str,
    ) -> anyhow::Result<Self>
    where
        F: Fn(&mut actix_web::web::ServiceConfig) + Send + Clone + 'static,
    {
        let (http_addr, workers, configure) = http;
        let (http, http_port) = crate::http::bind_server(http_addr, workers, configure)?;
        let rpc = crate::rpc::bind(rpc_addr)
            .await
            .with_context(|| format!("cannot bind tarpc on {rpc_addr}"))?;
        let rpc_port = rpc.local_addr().port();
        let grpc = tokio::net::TcpListener::bind(grpc_addr)
            .await
            .with_context(|| format!("cannot bind gRPC on {grpc_addr}"))?;
        let grpc_port = grpc.local_addr()?.port();
        Ok(Self {
            http,
            http_port,
            rpc,
            rpc_port,
            grpc,
            grpc_port,
        })
    }

    /// The bound `(http, tarpc, gRPC)` ports.
    pub fn ports(&self) -> (u16, u16, u16) {
        (self.http_port, self.rpc_port, self.grpc_port)
    }

    /// Serves all three until `shutdown` (see [`together`]): HTTP here, tarpc and
    /// gRPC through the service's own `rpc` and `grpc` functions.
    pub async fn serve<R, G, GE>(
        self,
        shutdown: &CancellationToken,
        rpc: impl FnOnce(crate::rpc::RpcListener<Req, Resp>, CancellationToken) -> R + Send,
        grpc: impl FnOnce(tonic::transport::server::TcpIncoming, CancellationToken) -> G + Send,
    ) -> anyhow::Result<()>
    where
        R: Future<Output = ()> + Send,
        G: Future<Output = Result<(), GE>> + Send,
        GE: std::error::Error + Send + Sync + 'static,
        Req: Send,
        Resp: Send,
    {
        let (http, rpc_listener) = (self.http, self.rpc);
        // Without TCP_NODELAY an answer written in several small pieces (an HTTP/2
        // handshake, headers then data then trailers) waits for the peer's delayed
        // ACK: ~40 ms now and then.
        let grpc_listener =
            tonic::transport::server::TcpIncoming::from(self.grpc).with_nodelay(Some(true));
        let (http_stop, rpc_stop, grpc_stop) =
            (shutdown.clone(), shutdown.clone(), shutdown.clone());
        together(
            shutdown,
            vec![
                (
                    "HTTP",
                    Box::pin(async move { Ok(crate::http::serve_until(http, http_stop).await?) }),
                ),
                (
                    "tarpc",
                    Box::pin(async move {
                        rpc(rpc_listener, rpc_stop).await;
                        Ok(())
                    }),
                ),
                (
                    "gRPC",
                    Box::pin(async move { Ok(grpc(grpc_listener, grpc_stop).await?) }),
                ),
            ],
        )
        .await
    }
}
