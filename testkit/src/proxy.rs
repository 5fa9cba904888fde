//! A TCP proxy a test owns ([`TcpProxy`]), to take a shared dependency away
//! from one test without stopping the server the other tests use.

use std::sync::{
    Arc, Mutex,
    atomic::{AtomicBool, Ordering},
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
    /// The forwarding tasks, aborted by [`TcpProxy::cut`].
    connections: Mutex<Vec<AbortHandle>>,
}

impl TcpProxy {
    /// Listens on a free local port and forwards to `target` (`host:port`).
    pub async fn start(target: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let port = listener.local_addr().expect("local addr").port();
        let state = Arc::new(ProxyState::default());
        state.up.store(true, Ordering::SeqCst);
        let target = target.to_owned();
        let shared = state.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !shared.up.load(Ordering::SeqCst) {
                    drop(inbound); // accepted and closed at once: unreachable
                    continue;
                }
                let target = target.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
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
