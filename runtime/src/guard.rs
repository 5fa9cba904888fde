//! The tarpc and gRPC servers' connections, held to the [`Edge`] limits below
//! the protocol: at most `max_connections` per server (extra ones are closed at
//! once), closed after `idle_timeout` without a byte either way, and, for
//! tarpc's length-delimited frames, each frame taken from the receive budget
//! before its bytes are read and received whole within the receive deadline.
//! (gRPC's messages travel inside HTTP/2 frames: their budget and deadline are
//! kept per request by [`crate::grpc`].)

use std::{
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll, ready},
    time::Duration,
};

use futures::Stream;
use tokio::{
    io::{AsyncRead, AsyncWrite, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
    time::{Instant, Sleep},
};

use crate::limits::{Edge, Held};

/// A served connection held to the limits; dropping it frees its place.
pub struct Guarded<IO> {
    io: IO,
    edge: Edge,
    frames: Option<Frames>,
    idle: Duration,
    last_active: Instant,
    timer: Pin<Box<Sleep>>,
    _place: OwnedSemaphorePermit,
}

/// Where the reader is in a stream of length-delimited frames (a 4-byte
/// big-endian length, then that many bytes: tarpc's framing).
#[derive(Default)]
struct Frames {
    header: [u8; 4],
    header_len: usize,
    remaining: usize,
    started: Option<Instant>,
    held: Held,
}

fn refused(reason: &'static str, kind: io::ErrorKind, message: &str) -> io::Error {
    crate::metrics::edge_refused(reason);
    io::Error::new(kind, message.to_owned())
}

impl<IO> Guarded<IO> {
    fn new(io: IO, edge: &Edge, place: OwnedSemaphorePermit, frames: bool) -> Self {
        let idle = edge.limits().idle_timeout();
        let now = Instant::now();
        Self {
            io,
            edge: edge.clone(),
            frames: frames.then(Frames::default),
            idle,
            last_active: now,
            timer: Box::pin(tokio::time::sleep_until(now + idle)),
            _place: place,
        }
    }

    /// Follows the frames in `bytes`, just read: takes each frame's size from
    /// the budget when its length is known, gives it back when it is whole.
    fn follow(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        let Some(frames) = &mut self.frames else {
            return Ok(());
        };
        let max = self.edge.limits().max_body_bytes;
        while !bytes.is_empty() {
            if frames.remaining == 0 {
                frames.started.get_or_insert_with(Instant::now);
                frames.header[frames.header_len] = bytes[0];
                frames.header_len += 1;
                bytes = &bytes[1..];
                if frames.header_len < 4 {
                    continue;
                }
                frames.header_len = 0;
                let len = u32::from_be_bytes(frames.header) as usize;
                if len > max {
                    let message = format!("a frame of {len} bytes is over MAX_BODY_BYTES ({max})");
                    return Err(io::Error::new(io::ErrorKind::InvalidData, message));
                }
                if !self.edge.take(&mut frames.held, len) {
                    let message = "the receive budget is spent";
                    return Err(io::Error::new(io::ErrorKind::OutOfMemory, message));
                }
                frames.remaining = len;
            } else {
                let n = frames.remaining.min(bytes.len());
                frames.remaining -= n;
                bytes = &bytes[n..];
            }
            if frames.remaining == 0 && frames.header_len == 0 {
                frames.started = None;
                frames.held = Held::default();
            }
        }
        Ok(())
    }

    /// With nothing to read: an error once the connection was idle too long or
    /// a frame has been arriving for longer than the receive deadline;
    /// otherwise pending, woken at the nearer of the two.
    fn poll_deadlines(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let receive = self.edge.limits().receive_timeout();
        let frame_due = self
            .frames
            .as_ref()
            .and_then(|f| f.started)
            .map(|s| s + receive);
        let idle_due = self.last_active + self.idle;
        let due = frame_due.map_or(idle_due, |f| f.min(idle_due));
        if self.timer.deadline() != due {
            self.timer.as_mut().reset(due);
        }
        ready!(self.timer.as_mut().poll(cx));
        Poll::Ready(Err(if frame_due.is_some_and(|f| f <= idle_due) {
            refused(
                "receive_deadline",
                io::ErrorKind::TimedOut,
                "request not received in time",
            )
        } else {
            refused("idle", io::ErrorKind::TimedOut, "connection idle")
        }))
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Guarded<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    this.last_active = Instant::now();
                    this.follow(&buf.filled()[before..])?;
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => {
                ready!(this.poll_deadlines(cx))?;
                Poll::Pending
            }
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Guarded<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = ready!(Pin::new(&mut this.io).poll_write(cx, buf))?;
        this.last_active = Instant::now();
        Poll::Ready(Ok(written))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(feature = "worker")]
impl tonic::transport::server::Connected for Guarded<TcpStream> {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        <TcpStream as tonic::transport::server::Connected>::connect_info(&self.io)
    }
}

/// The connections `listener` accepts, each [`Guarded`] (with tarpc's frames
/// followed when `frames`), `TCP_NODELAY` set (small answers go out at once);
/// past `max_connections` open at once, new ones are closed at once.
pub fn accept(
    listener: TcpListener,
    edge: &Edge,
    frames: bool,
) -> impl Stream<Item = Guarded<TcpStream>> + Send + use<> {
    let places: Arc<Semaphore> = edge.connection_cap();
    let edge = edge.clone();
    futures::stream::unfold(listener, move |listener| {
        let (places, edge) = (Arc::clone(&places), edge.clone());
        async move {
            loop {
                let stream = match listener.accept().await {
                    Ok((stream, _)) => stream,
                    Err(error) => {
                        // Out of file descriptors, most likely: wait, don't spin.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(place) = Arc::clone(&places).try_acquire_owned() else {
                    crate::metrics::edge_refused("connections");
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let guarded = Guarded::new(stream, &edge, place, frames);
                return Some((guarded, listener));
            }
        }
    })
}
