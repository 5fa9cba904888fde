//! Services a test runs in its own process: spawned on the test's runtime
//! ([`Running`]), waited for ([`wait_until_healthy`]), stopped and joined.
//!
//! A service under test binds port 0, reads its real port back and is reached
//! at [`local`] / [`http_url`] of that port.

use std::{future::Future, time::Duration};

use runtime::service::Service;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a service may take to answer its health check 2xx.
pub const HEALTH_TIMEOUT: Duration = Duration::from_secs(15);
/// How often the health check is polled until then.
pub const HEALTH_POLL_INTERVAL: Duration = Duration::from_millis(25);
/// How long a service may take to return once told to stop.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// `127.0.0.1:{port}`: a local address (for RPC clients, settings).
pub fn local(port: u16) -> String {
    format!("127.0.0.1:{port}")
}

/// `http://127.0.0.1:{port}`: a local base URL (for HTTP and gRPC clients).
pub fn http_url(port: u16) -> String {
    format!("http://{}", local(port))
}

/// A service running as a task on the test's runtime, with the token that
/// tells it to stop.
///
/// Dropping it without [`Running::stop`] leaves the service running until the
/// runtime (the test) ends.
#[must_use = "a Running service is stopped and joined with `stop`"]
pub struct Running {
    /// Cancelled by [`Running::stop`]; the service's shutdown signal.
    stop: CancellationToken,
    /// The service's run future, spawned.
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    /// Spawns `run(token)` on the current tokio runtime; the service is to
    /// return once `token` is cancelled. Typically
    /// `Running::spawn(|stop| app.run_until_stopped(stop))`.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn spawn<F>(run: impl FnOnce(CancellationToken) -> F) -> Self
    where
        F: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(stop.clone()));
        Self { stop, task }
    }

    /// Builds `S` from `settings` (it binds its ports), spawns it as
    /// [`Running::spawn`] does, and returns it with the ports it bound.
    ///
    /// # Panics
    ///
    /// If it does not build; outside a tokio runtime.
    pub async fn build<S: Service>(settings: S::Settings) -> (Self, S::Ports) {
        let service = S::build(settings)
            .await
            .unwrap_or_else(|error| panic!("the {} builds: {error:?}", S::NAME));
        let ports = service.ports();
        (Self::spawn(|stop| service.run_until_stopped(stop)), ports)
    }

    /// Whether the service returned (by itself: it was not told to stop).
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// The service's stop token (to stop it from elsewhere, or to hand the
    /// same signal to something that must stop with it).
    pub fn token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Sends the stop signal and waits for the service to return.
    ///
    /// # Panics
    ///
    /// If the service panicked, returned an error, or did not return within
    /// [`STOP_TIMEOUT`].
    pub async fn stop(self) {
        self.stop.cancel();
        match tokio::time::timeout(STOP_TIMEOUT, self.task).await {
            Err(_) => panic!("service did not stop within {STOP_TIMEOUT:?} of its stop signal"),
            Ok(Err(join_error)) => panic!("service task did not finish cleanly: {join_error}"),
            Ok(Ok(Err(error))) => panic!("service failed: {error:?}"),
            Ok(Ok(Ok(()))) => {}
        }
    }
}

/// Polls `GET url` every [`HEALTH_POLL_INTERVAL`] until it answers 2xx.
///
/// # Panics
///
/// If it does not within [`HEALTH_TIMEOUT`]; the message names `url`.
pub async fn wait_until_healthy(url: &str) {
    assert!(
        healthy_within(url, HEALTH_TIMEOUT).await,
        "{url} did not answer 2xx within {HEALTH_TIMEOUT:?}"
    );
}

/// Whether `GET url` answers 2xx within `within`, polled every
/// [`HEALTH_POLL_INTERVAL`].
pub(crate) async fn healthy_within(url: &str, within: Duration) -> bool {
    let client = reqwest::Client::new();
    let poll = async {
        loop {
            if client
                .get(url)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return;
            }
            tokio::time::sleep(HEALTH_POLL_INTERVAL).await;
        }
    };
    tokio::time::timeout(within, poll).await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stop_cancels_the_token_and_joins_a_clean_exit() {
        let running = Running::spawn(|stop| async move {
            stop.cancelled().await;
            Ok(())
        });
        let token = running.token();
        running.stop().await;
        assert!(token.is_cancelled());
    }

    #[tokio::test]
    #[should_panic(expected = "service failed: broken")]
    async fn stop_panics_when_the_service_failed() {
        Running::spawn(|_| async { anyhow::bail!("broken") })
            .stop()
            .await;
    }

    #[tokio::test]
    async fn health_is_polled_until_a_2xx() {
        let listener = tokio::net::TcpListener::bind(local(0)).await.expect("bind");
        let port = listener.local_addr().expect("local addr").port();
        tokio::spawn(async move {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut answers = ["503 Service Unavailable", "200 OK"].into_iter().cycle();
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = [0; 1024];
                let _ = stream.read(&mut request).await;
                let status = answers.next().expect("cycles");
                let response = format!("HTTP/1.1 {status}\r\ncontent-length: 0\r\n\r\n");
                let _ = stream.write_all(response.as_bytes()).await;
            }
        });
        wait_until_healthy(&format!("{}/health", http_url(port))).await;
    }

    #[tokio::test]
    async fn nothing_listening_is_not_healthy() {
        let url = http_url(crate::closed_port());
        assert!(!healthy_within(&url, Duration::from_millis(200)).await);
    }
}
