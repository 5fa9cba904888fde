//! The shared NATS server: the test's namespace (the same as its AMQP one)
//! as NATS settings, waiting until a worker serves its subject, and deleting
//! the namespace's event stream when the test is done.

use std::time::{Duration, Instant};

use protocol::{Worker, nats::NatsNames};

use runtime::nats::NatsSettings;

/// Env var naming the NATS server tests use.
pub const ENV_TEST_NATS_URL: &str = "TEST_NATS_URL";

/// The NATS server's URL.
pub fn nats_url() -> String {
    std::env::var(ENV_TEST_NATS_URL).unwrap_or_else(|_| "nats://127.0.0.1:4222".into())
}

/// A service's NATS settings: the shared server, `namespace`.
pub fn nats_settings(namespace: &str) -> NatsSettings {
    NatsSettings {
        nats_url: nats_url(),
        nats_namespace: namespace.to_owned(),
        ..NatsSettings::default()
    }
}

/// A connection to the NATS server of `settings`.
pub async fn connect(settings: &NatsSettings) -> async_nats::Client {
    settings
        .connect("test", Duration::from_secs(5))
        .await
        .expect("NATS reachable at TEST_NATS_URL")
}

/// Waits until `worker` serves its subject where `settings` say (a request
/// is answered, here an invalid one, instead of having no responders),
/// panicking after 15 s.
pub async fn wait_until_served(settings: &NatsSettings, worker: Worker) {
    let client = connect(settings).await;
    let subject = settings.names().calls.get(worker).clone();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let asked = client.request(subject.clone(), "{}".into());
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_secs(1), asked).await {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the {worker} did not serve {subject} within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Deletes the event stream of `namespace` on the shared server, if there is one.
pub async fn delete_stream(namespace: &str) {
    let jetstream = async_nats::jetstream::new(connect(&nats_settings(namespace)).await);
    let _ = jetstream
        .delete_stream(NatsNames::new(namespace).stream)
        .await;
}

/// A NATS server of the test's own (Debian's `nats-server`, JetStream on, its
/// store in a directory of its own), to stop and start again: what a test
/// that restarts NATS runs, so that it never touches the shared server.
pub struct NatsServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    store: std::path::PathBuf,
    child: Option<tokio::process::Child>,
}

impl NatsServer {
    /// Starts one on a free port; returns once it accepts connections.
    pub async fn start() -> Self {
        let store = std::env::temp_dir().join(crate::unique_name("nats"));
        let mut server = Self {
            port: crate::closed_port(),
            store,
            child: None,
        };
        server.restart().await;
        server
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Services' settings for it, in `namespace`.
    pub fn settings(&self, namespace: &str) -> NatsSettings {
        NatsSettings {
            nats_url: self.url(),
            ..nats_settings(namespace)
        }
    }

    /// Starts it (again, on its port, with its store); returns once it accepts
    /// connections.
    pub async fn restart(&mut self) {
        self.stop().await;
        let child = tokio::process::Command::new("nats-server")
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-js",
                "-sd",
            ])
            .arg(&self.store)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("nats-server runs (make -C project test installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", self.port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "nats-server did not listen within 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Stops it (SIGKILL: as abrupt as a crash; its store keeps what it
    /// acknowledged) and waits until it exited.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill().await;
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.store);
    }
}
