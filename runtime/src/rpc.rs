//! Binding a tarpc server (bincode over length-delimited TCP frames), shared by
//! every worker: its connections are [`Guarded`] by the worker's [`Edge`].
//!
//! The accept loop itself stays in each service: tarpc's `Serve::serve` is an
//! `async fn` in a trait, so a generic loop could not promise the compiler that
//! the futures it spawns are `Send`; with the concrete service type it can.

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use futures::{Stream, StreamExt};
use tarpc::{ClientMessage, Response, serde_transport, tokio_serde::formats::Bincode};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, LengthDelimitedCodec};

use crate::{
    guard::{Guarded, accept},
    limits::Edge,
};

/// The codec of a server taking `Req` and answering `Resp`.
pub type Codec<Req, Resp> = Bincode<ClientMessage<Req>, Response<Resp>>;

/// One served connection taking `Req` and answering `Resp`.
pub type RpcTransport<Req, Resp> = serde_transport::Transport<
    Guarded<TcpStream>,
    ClientMessage<Req>,
    Response<Resp>,
    Codec<Req, Resp>,
>;

/// A bound tarpc listener: the stream of its connections.
pub struct RpcListener<Req, Resp> {
    port: u16,
    incoming: Pin<Box<dyn Stream<Item = RpcTransport<Req, Resp>> + Send>>,
}

impl<Req, Resp> RpcListener<Req, Resp> {
    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl<Req, Resp> Stream for RpcListener<Req, Resp> {
    type Item = RpcTransport<Req, Resp>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().incoming.poll_next_unpin(cx)
    }
}

/// Binds a tarpc listener on `addr` (port 0 for any) whose frames are at most
/// `MAX_BODY_BYTES` and whose connections are held to `edge`'s limits.
pub async fn bind<Req, Resp>(addr: &str, edge: &Edge) -> std::io::Result<RpcListener<Req, Resp>>
where
    Req: for<'de> serde::Deserialize<'de> + Send + 'static,
    Resp: serde::Serialize + Send + 'static,
{
    let listener = TcpListener::bind(addr).await?;
    let port = listener.local_addr()?.port();
    let max_frame = edge.limits().max_body_bytes;
    let incoming = accept(listener, edge, true).map(move |connection| {
        let frames = LengthDelimitedCodec::builder()
            .max_frame_length(max_frame)
            .new_codec();
        serde_transport::new(Framed::new(connection, frames), Bincode::default())
    });
    Ok(RpcListener {
        port,
        incoming: Box::pin(incoming),
    })
}

/// A tarpc service whose every call runs in the caller's trace: the context
/// tarpc received (its trace id, and the span tarpc made for the call) is the
/// call's [`crate::trace::Current`], for the hops it makes and its log lines.
#[derive(Debug, Clone)]
pub struct Traced<S>(pub S);

impl<S: tarpc::server::Serve> tarpc::server::Serve for Traced<S> {
    type Req = S::Req;
    type Resp = S::Resp;

    async fn serve(
        self,
        ctx: tarpc::context::Context,
        request: Self::Req,
    ) -> Result<Self::Resp, tarpc::ServerError> {
        let received = &ctx.trace_context;
        let sampled = received.sampling_decision == tarpc::trace::SamplingDecision::Sampled;
        let current = crate::trace::enabled()
            .then(|| {
                let trace_id = u128::from(received.trace_id);
                crate::trace::Current::serving(trace_id, received.span_id.into(), sampled)
            })
            .flatten();
        match current {
            Some(current) => current.scope(self.0.serve(ctx, request)).await,
            None => self.0.serve(ctx, request).await,
        }
    }
}
