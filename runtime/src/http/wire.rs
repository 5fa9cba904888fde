//! The JSON error body on answers actix-http writes itself.
//!
//! actix-http answers a request head that came too slowly (408), was too large
//! (431) or could not be parsed (400) from inside its connection dispatcher,
//! before any app code runs, always with an empty body; there is no hook for it.
//! [`JsonErrors`] wraps the connection and gives any error answer written with
//! `content-length: 0` the contract's body, `{"error":true,"message":...}`, so
//! every answer of every server is JSON. Answers the app wrote itself already
//! carry a body and pass through untouched.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll, ready},
};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A connection whose bodiless error answers get the JSON error body.
#[derive(Debug)]
pub struct JsonErrors<IO> {
    io: IO,
    /// A rewritten answer not yet written out, and how much of it was.
    pending: Vec<u8>,
    written: usize,
}

impl<IO> JsonErrors<IO> {
    /// Wraps a connection.
    pub fn new(io: IO) -> Self {
        Self {
            io,
            pending: Vec::new(),
            written: 0,
        }
    }
}

/// The message of a bodiless error answer with this status.
fn message(status: u16) -> String {
    match status {
        400 => "the request could not be parsed".into(),
        408 => "the request was not received in time".into(),
        431 => "the request's header fields are too large".into(),
        _ => actix_web::http::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("error")
            .to_lowercase(),
    }
}

/// If `buf` starts with a whole HTTP/1 answer head of an error status and an
/// empty body, that answer with the JSON error body, and the head's length.
fn with_json_body(buf: &[u8]) -> Option<(Vec<u8>, usize)> {
    const EMPTY: &[u8] = b"\r\ncontent-length: 0\r\n";
    if !buf.starts_with(b"HTTP/1.") || buf.len() < 12 {
        return None;
    }
    let status: u16 = std::str::from_utf8(&buf[9..12]).ok()?.parse().ok()?;
    if status < 400 {
        return None;
    }
    let end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = &buf[..end];
    let at = head
        .windows(EMPTY.len())
        .position(|w| w.eq_ignore_ascii_case(EMPTY))?;
    let body = serde_json::to_vec(&protocol::JsonResponse::<()>::error(message(status))).ok()?;
    let mut answer = Vec::with_capacity(end + body.len() + 64);
    answer.extend_from_slice(&head[..at]);
    answer.extend_from_slice(b"\r\ncontent-type: application/json\r\ncontent-length: ");
    answer.extend_from_slice(body.len().to_string().as_bytes());
    answer.extend_from_slice(&head[at + EMPTY.len() - 2..]);
    answer.extend_from_slice(&body);
    Some((answer, end))
}

impl<IO: AsyncWrite + Unpin> JsonErrors<IO> {
    /// Writes out what is pending; ready when nothing is.
    fn poll_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.pending.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.pending[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.pending.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for JsonErrors<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for JsonErrors<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        let Some((answer, consumed)) = with_json_body(buf) else {
            return Pin::new(&mut this.io).poll_write(cx, buf);
        };
        this.pending = answer;
        // The head is taken: what is not written yet goes out on the next
        // write, flush or shutdown.
        let _ = this.poll_pending(cx)?;
        Poll::Ready(Ok(consumed))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_pending(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(head: &str) -> Option<String> {
        with_json_body(head.as_bytes()).map(|(a, _)| String::from_utf8(a).expect("UTF-8"))
    }

    #[test]
    fn a_bodiless_408_gets_the_json_error_body() {
        let head = "HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\ndate: x\r\n\r\n";
        let answer = rewritten(head).expect("rewritten");
        let (head, body) = answer.split_once("\r\n\r\n").expect("a head");
        let json: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(json["error"], true);
        assert_eq!(json["message"], "the request was not received in time");
        assert!(
            head.contains(&format!("content-length: {}", body.len())),
            "{head}"
        );
        assert!(head.contains("content-type: application/json"), "{head}");
        assert!(head.ends_with("connection: close\r\ndate: x"), "{head}");
    }

    #[test]
    fn answers_with_a_body_or_without_an_error_pass_untouched() {
        let json = "HTTP/1.1 400 Bad Request\r\ncontent-length: 2\r\n\r\n{}";
        assert_eq!(rewritten(json), None);
        assert_eq!(
            rewritten("HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n"),
            None
        );
        assert_eq!(rewritten("HTTP/1.1 431 Req"), None, "not a whole head");
        assert_eq!(rewritten("{\"error\":true}"), None);
    }

    #[tokio::test]
    async fn what_is_written_after_the_head_follows_the_rewritten_answer() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, server) = tokio::io::duplex(16);
        let mut server = JsonErrors::new(server);
        let writing = tokio::spawn(async move {
            let head = b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\r\n";
            server.write_all(head).await.expect("written");
            server.shutdown().await.expect("shut down");
        });
        let mut answer = String::new();
        let mut client = client;
        client.read_to_string(&mut answer).await.expect("read");
        writing.await.expect("the writer");
        assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
        assert!(answer.ends_with("too large\"}"), "{answer}");
    }

    /// What a server bound with `limits` answers to `request`, sent as it is.
    async fn answer_to(request: &[u8], limits: crate::limits::Limits) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let edge = crate::limits::Edge::new(&limits);
        let (server, port) =
            crate::http::bind_server("127.0.0.1:0", 1, &edge, |_| {}).expect("bind port 0");
        let handle = server.handle();
        tokio::spawn(server);
        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        stream.write_all(request).await.expect("send");
        let mut answer = Vec::new();
        let read = stream.read_to_end(&mut answer);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(10), read).await;
        handle.stop(false).await;
        String::from_utf8_lossy(&answer).into_owned()
    }

    fn assert_json_error(answer: &str, status: &str) {
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{answer:.300}"
        );
        let (_, body) = answer.split_once("\r\n\r\n").expect("a head");
        let json: serde_json::Value = serde_json::from_str(body).expect("a JSON body");
        assert_eq!(json["error"], true);
    }

    #[tokio::test]
    async fn actix_own_answers_to_a_slow_a_huge_and_a_broken_head_are_json() {
        let limits = crate::limits::Limits {
            receive_timeout_ms: 300,
            ..Default::default()
        };
        let slow = answer_to(b"GET /ping HTTP/1.1\r\nHost: t\r\n", limits.clone()).await;
        assert_json_error(&slow, "408");
        let huge = format!("GET / HTTP/1.1\r\nX: {}", "x".repeat(256 * 1024));
        assert_json_error(&answer_to(huge.as_bytes(), limits.clone()).await, "431");
        let broken = answer_to(b"GET / HTTP/1.1\r\nBad Header\r\n\r\n", limits).await;
        assert_json_error(&broken, "400");
    }
}
