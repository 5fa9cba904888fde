//! The gRPC server's layer over each request: its message received within the
//! receive deadline (`DEADLINE_EXCEEDED` otherwise) and taken from the
//! process's receive budget as its bytes arrive (`RESOURCE_EXHAUSTED` when it
//! is spent), and the call served in the caller's trace
//! ([`crate::trace::grpc_request`]).

use std::{
    pin::Pin,
    task::{Context, Poll, ready},
};

use futures::future::Either;
use http_body::{Frame, SizeHint};
use tokio::time::Sleep;
use tonic::{Status, body::Body};
use tower_layer::Layer;
use tracing::{Instrument, instrument::Instrumented};

use crate::{
    limits::{Edge, Held},
    trace::Scoped,
};

/// The layer that holds each request's body to the receive deadline and
/// budget, and serves each call in its trace context.
#[derive(Debug, Clone)]
pub struct ReceiveLimits {
    pub(super) edge: Edge,
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
