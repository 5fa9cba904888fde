//! [`detach_headers`]: header values with storage of their own.

use actix_web::{
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    http::header::HeaderValue,
    middleware::Next,
};

/// Middleware (`.wrap(from_fn(detach_headers))`) for routes whose requests wait
/// on I/O: gives the request's header values storage of their own.
///
/// actix-http parses header values as slices of the connection's read buffer,
/// and keeps every finished request's head, headers included, in a per-thread
/// pool (up to 128 heads) until a later request reuses it. Each pooled head thus
/// keeps the read buffer of the connection it came from alive, 8 KiB or more,
/// after that connection closed. Requests that answer at once never fill the
/// pool; requests that wait on a worker or a database pile up by the dozen under
/// load and do, so after a burst the pool held about 1 MiB of dead buffers per
/// service. Copying a few header values costs far less than such a request's
/// round trip (and about 6 % on `POST /`, which is why that route is not wrapped).
pub async fn detach_headers(
    mut request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let headers = &mut request.head_mut().headers;
    *headers = std::mem::take(headers)
        .into_iter()
        .map(|(name, value)| {
            // The bytes were a valid header value already; `from_bytes` copies them.
            let owned = HeaderValue::from_bytes(value.as_bytes()).unwrap_or(value);
            (name, owned)
        })
        .collect();
    next.call(request).await
}

#[cfg(test)]
mod tests {
    use actix_web::{HttpRequest, middleware::from_fn};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use actix_web::web;

    use super::*;
    use crate::http::bind_server;

    const VALUE_LEN: usize = 100;
    /// Where `x-b`'s value starts after `x-a`'s in the request's text.
    const TEXT_DISTANCE: usize = VALUE_LEN + "\r\nX-B: ".len();

    /// How far apart in memory the handler finds the values of `x-a` and `x-b`.
    async fn distance(request: HttpRequest) -> String {
        let at = |name| {
            let value = request.headers().get(name).expect("header sent");
            value.as_bytes().as_ptr() as isize
        };
        (at("x-b") - at("x-a")).to_string()
    }

    /// Sends one request with two long header values to a route, with or
    /// without [`detach_headers`], and returns how far apart the handler saw them.
    async fn distance_seen(detach: bool) -> isize {
        let (server, port) = bind_server("127.0.0.1:0", 1, &Default::default(), move |cfg| {
            let resource = web::resource("/").route(web::get().to(distance));
            if detach {
                cfg.service(resource.wrap(from_fn(detach_headers)));
            } else {
                cfg.service(resource);
            }
        })
        .expect("bind port 0");
        let handle = server.handle();
        tokio::spawn(server);

        let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .expect("connect");
        let (a, b) = ("a".repeat(VALUE_LEN), "b".repeat(VALUE_LEN));
        let request = format!(
            "GET / HTTP/1.1\r\nHost: t\r\nX-A: {a}\r\nX-B: {b}\r\nConnection: close\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("read");
        handle.stop(false).await;

        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        let (_, body) = response.split_once("\r\n\r\n").expect("a body");
        body.parse().expect("a number")
    }

    #[tokio::test]
    async fn actix_parses_header_values_as_slices_of_the_read_buffer() {
        // The premise of `detach_headers`: should actix ever copy the values
        // itself, this fails and the middleware can go.
        assert_eq!(distance_seen(false).await, TEXT_DISTANCE as isize);
    }

    #[tokio::test]
    async fn detached_header_values_no_longer_share_the_read_buffer() {
        assert_ne!(distance_seen(true).await, TEXT_DISTANCE as isize);
    }
}
