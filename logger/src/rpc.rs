//! The tarpc server (`Logger::log_info`).

use futures::{StreamExt, future};
use protocol::{
    LogPayload, WorkerError,
    rpc::{Logger, LoggerRequest, LoggerResponse},
};
use runtime::rpc::MAX_CONNECTIONS;
use tarpc::{
    context::Context,
    server::{BaseChannel, Channel},
};
use tokio_util::sync::CancellationToken;

use crate::{
    service::{LOGGED, write_entry},
    store::LogStore,
};

/// The tarpc implementation of [`Logger`].
#[derive(Clone)]
pub struct RpcServer {
    store: LogStore,
}

impl Logger for RpcServer {
    async fn log_info(self, _: Context, entry: LogPayload) -> Result<String, WorkerError> {
        match write_entry(&self.store, entry).await {
            Ok(()) => Ok(LOGGED.to_owned()),
            Err(e) => {
                e.log();
                Err(e.into())
            }
        }
    }

    async fn ping(self, _: Context) -> String {
        protocol::PONG.to_owned()
    }
}

/// The logger's bound tarpc listener.
pub type RpcListener = runtime::rpc::RpcListener<LoggerRequest, LoggerResponse>;

/// Serves connections until `shutdown`; a connection's in-flight calls finish.
pub async fn serve(listener: RpcListener, store: LogStore, shutdown: CancellationToken) {
    let server = RpcServer { store };
    let serving = listener
        .filter_map(|conn| future::ready(conn.ok()))
        .map(BaseChannel::with_defaults)
        .map(|channel| {
            let server = server.clone();
            channel.execute(server.serve()).for_each(|call| async {
                tokio::spawn(call);
            })
        })
        .buffer_unordered(MAX_CONNECTIONS)
        .for_each(|()| async {});
    tokio::select! {
        () = serving => {}
        () = shutdown.cancelled() => {}
    }
}
