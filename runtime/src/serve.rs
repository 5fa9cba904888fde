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
/// is cancelled: one task per call, every connection the listener lets in
/// (it caps them, see [`crate::guard`]) served at once. On shutdown it stops accepting connections and
/// reading requests, then waits for the calls in flight to finish. Each call
/// runs in its caller's trace ([`crate::rpc::Traced`]).
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
        let serve = $crate::rpc::Traced($serve);
        let in_flight = $crate::__private::tokio_util::task::TaskTracker::new();
        let tracker = &in_flight;
        let serving = $listener
            .map($crate::__private::tarpc::server::BaseChannel::with_defaults)
            .for_each_concurrent(None, |channel| {
                channel.execute(serve.clone()).for_each(move |call| {
                    tracker.spawn(call);
                    async {}
                })
            });
        ::tokio::select! {
            () = serving => {}
            () = $shutdown.cancelled() => {}
        }
        in_flight.close();
        in_flight.wait().await;
    }};
}
