//! Binding a tarpc server (bincode over TCP), shared by every worker.
//!
//! The accept loop itself stays in each service: tarpc's `Serve::serve` is an
//! `async fn` in a trait, so a generic loop could not promise the compiler that
//! the futures it spawns are `Send`; with the concrete service type it can.

use tarpc::{ClientMessage, Response, serde_transport::tcp, tokio_serde::formats::Bincode};

/// Most connections a server serves at once.
pub const MAX_CONNECTIONS: usize = 1024;

/// The codec of a server taking `Req` and answering `Resp`.
pub type Codec<Req, Resp> = Bincode<ClientMessage<Req>, Response<Resp>>;

/// A bound tarpc listener taking `Req` and answering `Resp`.
pub type RpcListener<Req, Resp> =
    tcp::Incoming<ClientMessage<Req>, Response<Resp>, Codec<Req, Resp>, fn() -> Codec<Req, Resp>>;

/// Binds a tarpc listener on `addr` (port 0 for any; read it with `local_addr`)
/// whose frames are at most `max_frame_bytes` (the worker's `MAX_BODY_BYTES`).
pub async fn bind<Req, Resp>(
    addr: &str,
    max_frame_bytes: usize,
) -> std::io::Result<RpcListener<Req, Resp>>
where
    Req: for<'de> serde::Deserialize<'de>,
    Resp: serde::Serialize,
{
    let codec: fn() -> Codec<Req, Resp> = Bincode::default;
    let mut listener = tcp::listen(addr, codec).await?;
    listener.config_mut().max_frame_length(max_frame_bytes);
    Ok(listener)
}
