//! `TestApp`: a broker with its own workers and listener, on port 0.
//!
//! - [`stack`]: which services it starts, and changes to their settings.
//! - [`requests`]: its typed requests (`POST /handle` for each action).
//! - [`tools`]: the page, external programs, polling and timing.

mod requests;
mod stack;
mod tools;
mod workers;

use std::time::Duration;

use protocol::Worker;
pub use requests::says;
pub use stack::{Stack, Tuning};
pub use testkit::{Running, WorkerAddrs, wait_until_healthy};
use testkit::{TestAmqp, TestMongo, TestPostgres, http_url, local, serve_on_any_port};
pub use tools::{assert_fast_503s, eventually, run_to_success, spawn_page, timed};
use workers::{Started, Workers};

/// The same test over each transport and over none (the broker's default):
/// `over_every_transport! { check: http, amqp, rpc, grpc, default }` is five
/// `#[tokio::test]`s, named as given, each awaiting `check(transport)`.
macro_rules! over_every_transport {
    ($check:ident: $http:ident, $amqp:ident, $rpc:ident, $grpc:ident, $default:ident) => {
        over_every_transport!(@test $check, $http, Some("http"));
        over_every_transport!(@test $check, $amqp, Some("amqp"));
        over_every_transport!(@test $check, $rpc, Some("rpc"));
        over_every_transport!(@test $check, $grpc, Some("grpc"));
        over_every_transport!(@test $check, $default, None);
    };
    (@test $check:ident, $name:ident, $transport:expr) => {
        #[tokio::test]
        async fn $name() {
            $check($transport).await;
        }
    };
}
pub(crate) use over_every_transport;

/// Deadline the test broker gives every dispatch.
pub const DISPATCH_TIMEOUT: Duration = Duration::from_millis(2000);
/// How long the test broker's open circuits fail fast.
pub const BREAKER_COOL_DOWN: Duration = Duration::from_millis(500);

/// A broker with its workers, and handles on the test's database and namespace.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub mongo: TestMongo,
    pub postgres: TestPostgres,
    pub amqp: TestAmqp,
    pub logger_addrs: WorkerAddrs,
    pub auth_addrs: WorkerAddrs,
    pub mail_addrs: WorkerAddrs,
    /// The workers that were started, the logger (if any) first.
    services: Vec<Started>,
    pub broker: Option<Running>,
    pub listener: Option<Running>,
    /// The listener's health server, once started.
    pub listener_health: Option<String>,
}

impl TestApp {
    /// The broker and every worker.
    pub async fn spawn() -> Self {
        Self::spawn_with(Stack::ALL).await
    }

    /// The broker and the chosen workers; absent workers' addresses are closed ports.
    pub async fn spawn_with(stack: Stack) -> Self {
        Self::spawn_tuned(stack, Tuning::default()).await
    }

    /// As [`TestApp::spawn_with`], with the services' settings changed by `tuning`.
    pub async fn spawn_tuned(stack: Stack, tuning: Tuning<'_>) -> Self {
        runtime::telemetry::init_for_tests();
        let mongo = TestMongo::new().await;
        let postgres = TestPostgres::new();
        let amqp = TestAmqp::new();
        let mut workers = Workers::new(&amqp);
        let logger = stack.logger.then(|| {
            let mut settings = logger::Settings::from_env().expect("logger settings");
            serve_on_any_port(&mut settings.server, &amqp);
            store_in(&mut settings, &mongo);
            (tuning.logger)(&mut settings);
            settings
        });
        let logger_addrs = workers
            .start::<logger::Application, _>(Worker::Logger, logger, |s| &mut s.server)
            .await;
        let auth = stack.auth.then(|| {
            let mut settings = authentication::Settings::from_env().expect("auth settings");
            serve_on_any_port(&mut settings.server, &amqp);
            settings.dsn = postgres.dsn.clone().into();
            settings.bcrypt_cost = 4;
            settings.logger_url = logger_addrs.http.clone();
            (tuning.auth)(&mut settings);
            settings
        });
        // Healthy only if a test did not point it at another Postgres.
        let postgres_reachable = auth
            .as_ref()
            .is_some_and(|s| s.dsn.expose() == postgres.dsn);
        let auth_addrs = workers
            .start::<authentication::Application, _>(Worker::Authentication, auth, |s| {
                &mut s.server
            })
            .await;
        if postgres_reachable {
            wait_until_healthy(&format!("{}/health", auth_addrs.http)).await;
        }
        let mail = stack.mail.then(|| {
            let (host, port) = testkit::smtp_addr();
            let mut settings = mail::Settings::from_env().expect("mail settings");
            serve_on_any_port(&mut settings.server, &amqp);
            settings.mail_host = host;
            settings.mail_port = port;
            settings.smtp_timeout_ms = 1500;
            (tuning.mail)(&mut settings);
            settings
        });
        let mail_addrs = workers
            .start::<mail::Application, _>(Worker::Mail, mail, |s| &mut s.server)
            .await;
        let services = workers.started;
        let mut app = Self {
            address: String::new(),
            client: reqwest::Client::new(),
            mongo,
            postgres,
            amqp,
            logger_addrs,
            auth_addrs,
            mail_addrs,
            services,
            broker: None,
            listener: None,
            listener_health: None,
        };
        if stack.listener {
            app.start_listener().await;
        }
        let mut settings = broker::Settings::from_env().expect("broker settings");
        settings.http_addr = local(0);
        settings.http_workers = 1;
        settings.amqp = app.amqp.settings();
        settings.nats = app.amqp.nats_settings();
        settings.logger_url = app.logger_addrs.http.clone();
        settings.logger_rpc_addr = app.logger_addrs.rpc.clone();
        settings.logger_grpc_url = app.logger_addrs.grpc.clone();
        settings.auth_url = app.auth_addrs.http.clone();
        settings.auth_rpc_addr = app.auth_addrs.rpc.clone();
        settings.auth_grpc_url = app.auth_addrs.grpc.clone();
        settings.mail_url = app.mail_addrs.http.clone();
        settings.mail_rpc_addr = app.mail_addrs.rpc.clone();
        settings.mail_grpc_url = app.mail_addrs.grpc.clone();
        settings.dispatch_timeout_ms = DISPATCH_TIMEOUT.as_millis() as u64;
        settings.breaker_cool_down_ms = BREAKER_COOL_DOWN.as_millis() as u64;
        settings.compare_max_seconds = 2;
        (tuning.broker)(&mut settings);
        let broker = broker::Application::build(settings)
            .await
            .expect("broker builds");
        app.address = http_url(broker.port());
        app.broker = Some(Running::spawn(|stop| broker.run_until_stopped(stop)));
        app
    }

    /// Starts a listener for this test's namespace and logger.
    pub async fn start_listener(&mut self) {
        self.start_listener_tuned(|_| {}).await;
    }

    /// Starts a listener for this test's namespace and logger, with `tune`
    /// applied to its settings.
    pub async fn start_listener_tuned(&mut self, tune: impl FnOnce(&mut listener::Settings)) {
        let mut settings = listener::Settings::from_env().expect("listener settings");
        settings.http_addr = local(0);
        settings.amqp = self.amqp.settings();
        settings.nats = self.amqp.nats_settings();
        settings.logger_url = self.logger_addrs.http.clone();
        settings.call_timeout_ms = 1500;
        tune(&mut settings);
        let (listener, port) = Running::build::<listener::Application>(settings).await;
        let base = http_url(port);
        let health = format!("{base}/health");
        self.listener_health = Some(base);
        self.listener = Some(listener);
        // Ready once it consumes both buses.
        wait_until_healthy(&health).await;
    }

    /// Stops the logger, which must exit cleanly.
    pub async fn stop_logger(&mut self) {
        self.started(Worker::Logger).stop().await;
    }

    /// Starts the logger again on the ports it had (a restart), into the
    /// test's database.
    pub async fn restart_logger(&mut self) {
        self.restart(Worker::Logger).await;
    }

    /// Stops `worker` and starts it again on the ports it had; returns once it
    /// serves its AMQP request queue again.
    pub async fn restart(&mut self, worker: Worker) {
        self.started(worker).restart().await;
        self.amqp.wait_until_served(worker).await;
    }

    fn started(&mut self, worker: Worker) -> &mut Started {
        let found = self.services.iter_mut().find(|s| s.worker == worker);
        found.unwrap_or_else(|| panic!("the test started no {worker}"))
    }

    /// Stops everything this test started and drops its database and queues.
    pub async fn teardown(mut self) {
        for running in [self.broker.take(), self.listener.take()]
            .into_iter()
            .flatten()
        {
            running.stop().await;
        }
        for mut started in self.services.drain(..).rev() {
            started.stop().await;
        }
        self.mongo.drop().await;
        self.postgres.drop().await;
        self.amqp.delete().await;
    }
}

/// A logger's settings for storing into the test's database.
fn store_in(settings: &mut logger::Settings, mongo: &TestMongo) {
    settings.mongo_url = testkit::mongo_url();
    settings.mongo_database = mongo.name.clone();
}

/// Starts a logger on `addrs` (port 0: any), serving AMQP in `amqp`'s
/// namespace, with `tune` applied to its settings; returns once it consumes its
/// request queue, with where it listens.
pub async fn spawn_logger(
    amqp: &TestAmqp,
    addrs: &WorkerAddrs,
    tune: impl FnOnce(&mut logger::Settings),
) -> (Running, WorkerAddrs) {
    let mut settings = logger::Settings::from_env().expect("logger settings");
    serve_on_any_port(&mut settings.server, amqp);
    workers::bind_to(&mut settings.server, addrs);
    tune(&mut settings);
    let (running, ports) = Running::build::<logger::Application>(settings).await;
    amqp.wait_until_served(Worker::Logger).await;
    (running, WorkerAddrs::of(Worker::Logger, ports))
}
