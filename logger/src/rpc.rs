//! The tarpc server (`Logger::log_info`).

use futures::{StreamExt, future};
use protocol::{LogPayload, WorkerError, rpc::Logger};
use tarpc::{
    context::Context,
    serde_transport::tcp,
    server::{BaseChannel, Channel},
    tokio_serde::formats::Bincode,
};
use tokio_util::sync::CancellationToken;

use crate::{
    service::{LOGGED, write_entry},
    store::LogStore,
};

/// Most concurrent connections served.
const MAX_CONNECTIONS: usize = 1024;
/// Largest frame accepted, in bytes.
const MAX_FRAME_BYTES: usize = 2 * 1024 * 1024;

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
}

/// A bound tarpc listener, ready to serve.
pub type RpcListener = tcp::Incoming<
    tarpc::ClientMessage<protocol::rpc::LoggerRequest>,
    tarpc::Response<protocol::rpc::LoggerResponse>,
    Bincode<
        tarpc::ClientMessage<protocol::rpc::LoggerRequest>,
        tarpc::Response<protocol::rpc::LoggerResponse>,
    >,
    fn() -> Bincode<
        tarpc::ClientMessage<protocol::rpc::LoggerRequest>,
        tarpc::Response<protocol::rpc::LoggerResponse>,
    >,
>;

/// Binds the tarpc port.
pub async fn bind(addr: &str) -> std::io::Result<RpcListener> {
    let mut listener = tcp::listen(addr, Bincode::default as fn() -> _).await?;
    listener.config_mut().max_frame_length(MAX_FRAME_BYTES);
    Ok(listener)
}

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
