//! A worker over tarpc, for any [`Handler`]: bincode over length-delimited TCP
//! frames, the one service [`WorkerService`] (`call(Call) -> Answer`). Its
//! connections are [`Guarded`] by the worker's [`Edge`]; each call runs in its
//! caller's trace ([`Traced`]) and through [`serve_call`].

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use futures::{Stream, StreamExt};
use protocol::{
    Answer, Call, Transport, WorkerError,
    rpc::{WorkerService, WorkerServiceRequest, WorkerServiceResponse},
};
use tarpc::{
    ClientMessage, Response, serde_transport,
    server::{BaseChannel, Channel},
    tokio_serde::formats::Bincode,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::{
    codec::{Framed, LengthDelimitedCodec},
    sync::CancellationToken,
    task::TaskTracker,
};

use crate::{
    guard::{Guarded, accept},
    limits::Edge,
    worker::{Handler, serve_call},
};

/// The codec of the server: calls in, answers out.
pub type Codec = Bincode<ClientMessage<WorkerServiceRequest>, Response<WorkerServiceResponse>>;

/// One served connection.
pub type RpcTransport = serde_transport::Transport<
    Guarded<TcpStream>,
    ClientMessage<WorkerServiceRequest>,
    Response<WorkerServiceResponse>,
    Codec,
>;

/// A bound tarpc listener: the stream of its connections.
pub struct RpcListener {
    port: u16,
    incoming: Pin<Box<dyn Stream<Item = RpcTransport> + Send>>,
}

impl RpcListener {
    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Stream for RpcListener {
    type Item = RpcTransport;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().incoming.poll_next_unpin(cx)
    }
}

/// Binds a tarpc listener on `addr` (port 0 for any) whose frames are at most
/// `MAX_BODY_BYTES` and whose connections are held to `edge`'s limits.
pub async fn bind(addr: &str, edge: &Edge) -> std::io::Result<RpcListener> {
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

/// The tarpc service of a handler.
#[derive(Clone)]
struct Server<H>(H);

impl<H: Handler> WorkerService for Server<H> {
    async fn call(self, _: tarpc::context::Context, call: Call) -> Result<Answer, WorkerError> {
        serve_call(&self.0, call, Transport::Rpc).await
    }
}

/// Serves `listener`'s connections until `shutdown`: one task per call, every
/// connection the listener lets in (it caps them, see [`crate::guard`]) served
/// at once. On shutdown it stops accepting connections and reading requests,
/// then waits for the calls in flight to finish.
pub async fn serve<H: Handler>(listener: RpcListener, handler: H, shutdown: CancellationToken) {
    let serve = Traced(Server(handler).serve());
    let in_flight = TaskTracker::new();
    let tracker = &in_flight;
    let serving = listener
        .map(BaseChannel::with_defaults)
        .for_each_concurrent(None, |channel| {
            channel.execute(serve.clone()).for_each(move |call| {
                tracker.spawn(call);
                async {}
            })
        });
    tokio::select! {
        () = serving => {}
        () = shutdown.cancelled() => {}
    }
    in_flight.close();
    in_flight.wait().await;
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
