//! A TCP proxy a test owns ([`TcpProxy`]), to take a shared dependency away
//! from one test without stopping the server the other tests use.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, AtomicU64, Ordering},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use tokio::task::{AbortHandle, JoinHandle};

/// A TCP proxy a test owns, in front of a shared server (Postgres, RabbitMQ, the
/// SMTP catcher): [`TcpProxy::cut`] makes the server unreachable for whatever
/// connects through the proxy, and only for that, and [`TcpProxy::restore`]
/// brings it back. So a test can take a dependency away without stopping the
/// server other tests use.
pub struct TcpProxy {
    port: u16,
    state: Arc<ProxyState>,
    accept: JoinHandle<()>,
}

/// What the accept loop and the test's handle share.
#[derive(Default)]
struct ProxyState {
    /// Whether connections are let through.
    up: AtomicBool,
    /// How long each chunk from the server waits before it goes on, in ms.
    delay_ms: AtomicU64,
    /// Until when nothing from the server goes on ([`TcpProxy::stall`]).
    stalled_until: Mutex<Option<tokio::time::Instant>>,
    /// The forwarding tasks, aborted by [`TcpProxy::cut`].
    connections: Mutex<Vec<AbortHandle>>,
}

impl TcpProxy {
    /// Listens on a free local port and forwards to `target` (`host:port`).
    pub async fn start(target: &str) -> Self {
        Self::start_now(target)
    }

    /// [`TcpProxy::start`] from synchronous code running on a tokio runtime
    /// (a settings closure that must put the proxy's port in place of `target`).
    pub fn start_now(target: &str) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let listener = tokio::net::TcpListener::from_std(listener).expect("on tokio");
        let port = listener.local_addr().expect("local addr").port();
        let state = Arc::new(ProxyState::default());
        state.up.store(true, Ordering::SeqCst);
        let target = target.to_owned();
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                if !shared.up.load(Ordering::SeqCst) {
                    drop(inbound); // accepted and closed at once: unreachable
                    continue;
                }
                let target = target.clone();
                let delay = shared.clone();
                let task = tokio::spawn(async move {
                    if let Ok(outbound) = tokio::net::TcpStream::connect(&target).await {
                        forward(inbound, outbound, delay).await;
                    }
                });
                shared
                    .connections
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(task.abort_handle());
            }
        });
        Self {
            port,
            state,
            accept,
        }
    }

    /// The port to connect to instead of the server's.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Drops every open connection and refuses new ones.
    pub fn cut(&self) {
        self.state.up.store(false, Ordering::SeqCst);
        for connection in self
            .state
            .connections
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .drain(..)
        {
            connection.abort();
        }
    }

    /// Drops every open connection and lets new ones through: a connection
    /// that breaks under its user while the server stays up.
    pub fn reset(&self) {
        let open = std::mem::take(
            &mut *self
                .state
                .connections
                .lock()
                .unwrap_or_else(|p| p.into_inner()),
        );
        for connection in open {
            connection.abort();
        }
    }

    /// Holds every chunk the server sends back for `delay` before passing it on
    /// (zero: none), on open connections too: a slow dependency.
    pub fn delay(&self, delay: std::time::Duration) {
        let ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX);
        self.state.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Holds everything the server sends back for the next `length`, then lets
    /// it all go at once: the server froze for that long (a pause, a GC, a
    /// stop-the-world), as its clients see it.
    pub fn stall(&self, length: std::time::Duration) {
        *self
            .state
            .stalled_until
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(tokio::time::Instant::now() + length);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.state.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for TcpProxy {
    fn drop(&mut self) {
        self.cut();
        self.accept.abort();
    }
}

/// Copies both ways until either side closes; what comes from the server waits
/// for the proxy's delay first.
async fn forward(client: TcpStream, server: TcpStream, state: Arc<ProxyState>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = tokio::io::copy(&mut client_read, &mut server_write);
    let downstream = async {
        let mut buffer = vec![0; 16 * 1024];
        loop {
            let read = server_read.read(&mut buffer).await?;
            if read == 0 {
                return Ok::<_, std::io::Error>(());
            }
            let delay = state.delay_ms.load(Ordering::SeqCst);
            if delay > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            }
            let stalled_until = *state
                .stalled_until
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if let Some(until) = stalled_until {
                tokio::time::sleep_until(until).await;
            }
            client_write.write_all(&buffer[..read]).await?;
        }
    };
    tokio::select! {
        _ = upstream => {}
        _ = downstream => {}
    }
}
