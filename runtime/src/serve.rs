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
