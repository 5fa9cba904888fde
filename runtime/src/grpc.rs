//! A worker's gRPC server, held to its [`Edge`] limits: connections capped and
//! closed when idle ([`crate::guard`]), at most `max_streams` calls per
//! connection, and each request's message received within the receive deadline
//! (`DEADLINE_EXCEEDED` otherwise) and taken from the process's receive budget
//! as its bytes arrive (`RESOURCE_EXHAUSTED` when it is spent). Every call runs
//! in the caller's trace ([`crate::trace::grpc_request`]).

use std::{
    pin::Pin,
    task::{Context, Poll, ready},
};

use futures::{Stream, StreamExt, future::Either};
use http_body::{Frame, SizeHint};
use tokio::{
    net::{TcpListener, TcpStream},
    time::Sleep,
};
use tonic::{
    Status,
    body::Body,
    transport::{Server, server::Router},
};
use tower_layer::{Identity, Layer, Stack};
use tracing::{Instrument, instrument::Instrumented};

use crate::{
    guard::{Guarded, accept},
    limits::{Edge, Held},
    trace::Scoped,
};

/// A bound gRPC listener and the limits its server keeps.
pub struct GrpcListener {
    listener: TcpListener,
    edge: Edge,
}

/// The server a worker adds its services to.
pub type GrpcServer = Server<Stack<ReceiveLimits, Identity>>;

impl GrpcListener {
    /// Binds `addr` (port 0 for any).
    pub async fn bind(addr: &str, edge: &Edge) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let edge = edge.clone();
        Ok(Self { listener, edge })
    }

    /// The bound port.
    pub fn port(&self) -> std::io::Result<u16> {
        Ok(self.listener.local_addr()?.port())
    }

    /// The largest message a service may decode (`MAX_BODY_BYTES`): pass it to
    /// each service's `max_decoding_message_size`.
    pub fn max_message(&self) -> usize {
        self.edge.limits().max_body_bytes
    }

    /// The server to add services to.
    pub fn server(&self) -> GrpcServer {
        Server::builder()
            .max_concurrent_streams(self.edge.limits().max_streams)
            .layer(ReceiveLimits {
                edge: self.edge.clone(),
            })
    }

    /// Serves `router` (the server with its services) until `shutdown`, letting
    /// in-flight calls finish.
    pub async fn serve(
        self,
        router: Router<Stack<ReceiveLimits, Identity>>,
        shutdown: tokio_util::sync::CancellationToken,
    ) -> Result<(), tonic::transport::Error> {
        router
            .serve_with_incoming_shutdown(self.incoming(), shutdown.cancelled_owned())
            .await
    }

    fn incoming(self) -> impl Stream<Item = std::io::Result<Guarded<TcpStream>>> {
        let Self { listener, edge } = self;
        accept(listener, &edge, false).map(Ok)
    }
}

/// The layer that holds each request's body to the receive deadline and
/// budget, and serves each call in its trace context.
#[derive(Debug, Clone)]
pub struct ReceiveLimits {
    edge: Edge,
}

impl<S> Layer<S> for ReceiveLimits {
    type Service = Receiving<S>;

    fn layer(&self, inner: S) -> Receiving<S> {
        Receiving {
            inner,
            edge: self.edge.clone(),
        }
    }
}

/// The service of [`ReceiveLimits`].
#[derive(Debug, Clone)]
pub struct Receiving<S> {
    inner: S,
    edge: Edge,
}

impl<S: tower_service::Service<http::Request<Body>>> tower_service::Service<http::Request<Body>>
    for Receiving<S>
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Either<Scoped<Instrumented<S::Future>>, S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let (parts, body) = request.into_parts();
        let traced = crate::trace::grpc_request(&parts);
        let due = self.edge.limits().receive_timeout();
        let body = Body::new(Limited {
            body,
            edge: self.edge.clone(),
            held: Held::default(),
            due: Box::pin(tokio::time::sleep(due)),
            received: false,
        });
        let call = self.inner.call(http::Request::from_parts(parts, body));
        match traced {
            Some((span, current)) => Either::Left(current.scope(call.instrument(span))),
            None => Either::Right(call),
        }
    }
}

/// A request body held to the receive deadline and budget; what it took of the
/// budget is given back when it is dropped (once its message is decoded).
struct Limited {
    body: Body,
    edge: Edge,
    held: Held,
    due: Pin<Box<Sleep>>,
    received: bool,
}

impl http_body::Body for Limited {
    type Data = bytes::Bytes;
    type Error = Status;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let this = self.get_mut();
        let frame = match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Pending if this.received => return Poll::Pending,
            Poll::Pending => {
                ready!(this.due.as_mut().poll(cx));
                crate::metrics::edge_refused("receive_deadline");
                let late = "the request was not received within the receive deadline";
                return Poll::Ready(Some(Err(Status::deadline_exceeded(late))));
            }
            Poll::Ready(frame) => frame,
        };
        let bytes = match &frame {
            Some(Ok(frame)) => frame.data_ref().map_or(0, bytes::Bytes::len),
            _ => 0,
        };
        if !this.edge.take(&mut this.held, bytes) {
            let busy = "the server is busy receiving other requests";
            return Poll::Ready(Some(Err(Status::resource_exhausted(busy))));
        }
        if frame.is_none() || this.body.is_end_stream() {
            this.received = true;
        }
        Poll::Ready(frame)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
