//! A service's real binary, run as a child process: does it start, become
//! ready and exit on SIGTERM (what Docker and Swarm send)?

use std::process::ExitStatus;

use runtime::{
    amqp::{ENV_AMQP_NAMESPACE, ENV_AMQP_URL},
    nats::{ENV_NATS_NAMESPACE, ENV_NATS_URL},
    worker::{ENV_GRPC_ADDR, ENV_RPC_ADDR},
};

use crate::{
    amqp::TestAmqp,
    names::closed_port,
    service::{HEALTH_TIMEOUT, STOP_TIMEOUT, healthy_within, http_url, local},
};

/// Runs a service's binary with `env`, waits until `ready_path` on its
/// `HTTP_ADDR` answers 2xx, sends it SIGTERM (what Docker and Swarm send), and
/// returns how it exited.
///
/// # Panics
///
/// If it does not become ready within [`HEALTH_TIMEOUT`] or does not exit
/// within [`STOP_TIMEOUT`] of SIGTERM (15 s each).
pub async fn start_and_terminate(
    binary: &str,
    env: &[(&str, String)],
    ready_path: &str,
) -> ExitStatus {
    let port = closed_port();
    let (mut child, log) = spawn_ready(binary, port, env, ready_path).await;
    terminate(&child).await;
    tokio::time::timeout(STOP_TIMEOUT, child.wait())
        .await
        .unwrap_or_else(|_| {
            panic!(
                "{binary} did not exit within {STOP_TIMEOUT:?} of SIGTERM; its last log lines:\n{}",
                log.tail()
            )
        })
        .expect("an exit status")
}

/// Runs a service's binary as [`start_and_terminate`] does, with `env`, its
/// tarpc and gRPC servers (a worker's; other services have none) on any port
/// and its AMQP queues and NATS subjects in a namespace of its own, deleted
/// afterwards.
///
/// # Panics
///
/// As [`start_and_terminate`] does, and unless the binary exits 0.
pub async fn assert_exits_0_on_sigterm(binary: &str, env: &[(&str, String)], ready_path: &str) {
    let amqp = TestAmqp::new();
    let settings = amqp.settings();
    let mut env = env.to_vec();
    env.extend([
        (ENV_RPC_ADDR, local(0)),
        (ENV_GRPC_ADDR, local(0)),
        (ENV_AMQP_URL, settings.amqp_url),
        (ENV_AMQP_NAMESPACE, settings.amqp_namespace),
        (ENV_NATS_URL, crate::nats::nats_url()),
        (ENV_NATS_NAMESPACE, amqp.namespace.clone()),
    ]);
    let exit = start_and_terminate(binary, &env, ready_path).await;
    assert!(exit.success(), "{exit:?}");
    amqp.delete().await;
}

/// A child's log lines (stdout and stderr), in a file of its own that is
/// deleted when this is dropped: read only when a test fails on the child.
struct ChildLog {
    path: std::path::PathBuf,
}

impl ChildLog {
    /// How many of the last lines a failure shows.
    const TAIL_LINES: usize = 40;

    fn create(binary: &str) -> (Self, std::fs::File) {
        let name = std::path::Path::new(binary)
            .file_name()
            .map_or_else(|| "service".into(), |name| name.to_string_lossy());
        let path = std::env::temp_dir().join(format!("flexi-{name}-{}.log", uuid::Uuid::new_v4()));
        let file = std::fs::File::create(&path).expect("a log file in the temporary directory");
        (Self { path }, file)
    }

    fn tail(&self) -> String {
        let text = std::fs::read_to_string(&self.path).unwrap_or_else(|error| format!("({error})"));
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(Self::TAIL_LINES)..].join("\n")
    }
}

impl Drop for ChildLog {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Runs `binary` with its HTTP server on `port` (one worker thread) and `env`
/// (its log lines kept for a failure's message), and waits until `ready_path`
/// answers 2xx.
///
/// # Panics
///
/// If it does not start, or is not ready within [`HEALTH_TIMEOUT`].
async fn spawn_ready(
    binary: &str,
    port: u16,
    env: &[(&str, String)],
    ready_path: &str,
) -> (tokio::process::Child, ChildLog) {
    let (log, file) = ChildLog::create(binary);
    let child = tokio::process::Command::new(binary)
        .env("HTTP_ADDR", local(port))
        .env("HTTP_WORKERS", "1")
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(file.try_clone().expect("the log file, twice"))
        .stderr(file)
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let url = format!("{}{ready_path}", http_url(port));
    assert!(
        healthy_within(&url, HEALTH_TIMEOUT).await,
        "{binary} did not become ready at {url} within {HEALTH_TIMEOUT:?}; its last log lines:\n{}",
        log.tail()
    );
    (child, log)
}

/// Sends `child` SIGTERM.
async fn terminate(child: &tokio::process::Child) {
    let pid = child.id().expect("running").to_string();
    let killed = tokio::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill runs");
    assert!(killed.success(), "kill -TERM {pid} failed");
}

/// The path of a workspace binary (`broker`, `logger`, …) built beside the
/// running test: `cargo test --workspace` builds every package's binaries into
/// the test's profile directory (the test itself runs from its `deps/`).
pub fn binary(name: &str) -> std::path::PathBuf {
    let test = std::env::current_exe().expect("the test's path");
    let profile = test
        .parent()
        .and_then(std::path::Path::parent)
        .expect("tests run from target/<profile>/deps");
    let path = profile.join(name);
    assert!(
        path.exists(),
        "{} is not built (cargo test --workspace builds it)",
        path.display()
    );
    path
}

/// A worker's binary running as a child process on ports of its own, so a test
/// can hold connections open against it and read its memory.
pub struct Binary {
    child: tokio::process::Child,
    _log: ChildLog,
    amqp: TestAmqp,
    /// Its HTTP port.
    pub http: u16,
    /// Its tarpc port.
    pub rpc: u16,
    /// Its gRPC port.
    pub grpc: u16,
}

impl Binary {
    /// Starts `binary` with `env` and waits until
    /// `ready_path` answers.
    ///
    /// # Panics
    ///
    /// If it does not become ready within [`HEALTH_TIMEOUT`].
    pub async fn start(binary: &str, env: &[(&str, String)], ready_path: &str) -> Self {
        let amqp = TestAmqp::new();
        let settings = amqp.settings();
        let (http, rpc, grpc) = (closed_port(), closed_port(), closed_port());
        let mut all = vec![
            (ENV_RPC_ADDR, local(rpc)),
            (ENV_GRPC_ADDR, local(grpc)),
            (ENV_AMQP_URL, settings.amqp_url),
            (ENV_AMQP_NAMESPACE, settings.amqp_namespace),
        ];
        all.extend(env.iter().cloned());
        let (child, log) = spawn_ready(binary, http, &all, ready_path).await;
        Self {
            child,
            _log: log,
            amqp,
            http,
            rpc,
            grpc,
        }
    }

    /// What it has allocated and holds in memory (`RssAnon`: its resident
    /// anonymous pages), in bytes. Unlike `VmRSS` this leaves out the binary's
    /// own code and data pages, which grow as new code paths first run.
    pub fn anon_rss_bytes(&self) -> u64 {
        let pid = self.child.id().expect("running");
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("its status");
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix("RssAnon:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("an RssAnon line");
        kib * 1024
    }

    /// Kills it (SIGKILL: a crash, nothing is finished or handed back) and
    /// deletes its AMQP namespace.
    pub async fn kill(mut self) {
        let _ = self.child.kill().await;
        self.amqp.delete().await;
    }

    /// Stops it (SIGTERM, then kill) and deletes its AMQP namespace.
    pub async fn stop(mut self) {
        terminate(&self.child).await;
        if tokio::time::timeout(STOP_TIMEOUT, self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
        self.amqp.delete().await;
    }
}
