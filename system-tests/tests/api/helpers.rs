//! `TestApp`: a broker with its own logger and listener, on port 0.

use std::time::Duration;

use protocol::{JsonResponse, Worker};
use runtime::{
    service::Service,
    worker::{DefaultAddrs, Ports, ServerSettings},
};
use serde_json::{Value, json};
pub use testkit::{Running, wait_until_healthy};
use testkit::{TestAmqp, TestMongo, TestPostgres, closed_port, http_url, local};

/// Deadline the test broker gives every dispatch.
pub const DISPATCH_TIMEOUT: Duration = Duration::from_millis(2000);
/// How long the test broker's open circuits fail fast.
pub const BREAKER_COOL_DOWN: Duration = Duration::from_millis(500);

/// Where the broker finds one worker on each transport.
#[derive(Clone)]
pub struct WorkerAddrs {
    pub http: String,
    pub rpc: String,
    pub grpc: String,
}

impl WorkerAddrs {
    fn of(ports: Ports) -> Self {
        Self {
            http: http_url(ports.http),
            rpc: local(ports.rpc),
            grpc: http_url(ports.grpc),
        }
    }

    /// Addresses where nothing listens.
    pub fn nowhere() -> Self {
        Self {
            http: format!("http://127.0.0.1:{}", closed_port()),
            rpc: format!("127.0.0.1:{}", closed_port()),
            grpc: format!("http://127.0.0.1:{}", closed_port()),
        }
    }
}

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
    pub services: Vec<Running>,
    pub broker: Option<Running>,
    pub listener: Option<Running>,
    /// The listener's health server, once started.
    pub listener_health: Option<String>,
}

/// What to start besides the broker.
#[derive(Clone, Copy)]
pub struct Stack {
    pub logger: bool,
    pub listener: bool,
    pub auth: bool,
    pub mail: bool,
}

impl Stack {
    /// Every service.
    pub const ALL: Stack = Stack {
        logger: true,
        listener: true,
        auth: true,
        mail: true,
    };
    /// The broker alone.
    pub const NONE: Stack = Stack {
        logger: false,
        listener: false,
        auth: false,
        mail: false,
    };
}

impl TestApp {
    /// The broker and every worker.
    pub async fn spawn() -> Self {
        Self::spawn_with(Stack::ALL).await
    }

    /// The broker and the chosen workers; absent workers' addresses are closed ports.
    pub async fn spawn_with(stack: Stack) -> Self {
        Self::spawn_tuned(stack, |_| {}, |_| {}, |_| {}).await
    }

    /// As [`TestApp::spawn_with`], with a chance to change the authentication and
    /// mail settings (to point them at an unreachable Postgres or SMTP server) and
    /// the broker's.
    pub async fn spawn_tuned(
        stack: Stack,
        tune_auth: impl FnOnce(&mut authentication::Settings),
        tune_mail: impl FnOnce(&mut mail::Settings),
        tune_broker: impl FnOnce(&mut broker::Settings),
    ) -> Self {
        runtime::telemetry::init_for_tests();
        let mongo = TestMongo::new().await;
        let postgres = TestPostgres::new();
        let amqp = TestAmqp::new();
        let mut services = Vec::new();
        let logger_addrs = if stack.logger {
            let (running, addrs) = spawn_logger(&mongo.name, &amqp).await;
            services.push(running);
            addrs
        } else {
            WorkerAddrs::nowhere()
        };
        let auth_addrs = if stack.auth {
            let mut settings = authentication::Settings::from_env().expect("auth settings");
            serve_on_any_port(&mut settings.server, &amqp);
            settings.dsn = postgres.dsn.clone().into();
            settings.bcrypt_cost = 4;
            settings.logger_url = logger_addrs.http.clone();
            let default_dsn = settings.dsn.clone();
            tune_auth(&mut settings);
            let tuned_postgres_is_reachable = settings.dsn == default_dsn;
            let app = authentication::Application::build(settings)
                .await
                .expect("auth builds");
            let addrs = WorkerAddrs::of(app.ports());
            services.push(Running::spawn(|stop| app.run_until_stopped(stop)));
            if tuned_postgres_is_reachable {
                wait_until_healthy(&format!("{}/health", addrs.http)).await;
            }
            amqp.wait_until_served(Worker::Authentication).await;
            addrs
        } else {
            WorkerAddrs::nowhere()
        };
        let mail_addrs = if stack.mail {
            let (host, port) = testkit::smtp_addr();
            let mut settings = mail::Settings::from_env().expect("mail settings");
            serve_on_any_port(&mut settings.server, &amqp);
            settings.mail_host = host;
            settings.mail_port = port;
            settings.smtp_timeout_ms = 1500;
            tune_mail(&mut settings);
            let app = mail::Application::build(settings)
                .await
                .expect("mail builds");
            let addrs = WorkerAddrs::of(app.ports());
            services.push(Running::spawn(|stop| app.run_until_stopped(stop)));
            amqp.wait_until_served(Worker::Mail).await;
            addrs
        } else {
            WorkerAddrs::nowhere()
        };
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
        settings.http_addr = "127.0.0.1:0".into();
        settings.http_workers = 1;
        settings.amqp.amqp_url = testkit::amqp_url();
        settings.amqp.amqp_namespace = app.amqp.namespace.clone();
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
        tune_broker(&mut settings);
        let broker = broker::Application::build(settings)
            .await
            .expect("broker builds");
        app.address = format!("http://127.0.0.1:{}", broker.port());
        app.broker = Some(Running::spawn(|stop| broker.run_until_stopped(stop)));
        app
    }

    /// Starts a listener for this test's namespace and logger.
    pub async fn start_listener(&mut self) {
        let mut settings = listener::Settings::from_env().expect("listener settings");
        settings.http_addr = "127.0.0.1:0".into();
        settings.amqp.amqp_url = testkit::amqp_url();
        settings.amqp.amqp_namespace = self.amqp.namespace.clone();
        settings.logger_url = self.logger_addrs.http.clone();
        settings.call_timeout_ms = 1500;
        let listener = listener::Application::build(settings)
            .await
            .expect("listener builds");
        let base = format!("http://127.0.0.1:{}", listener.http_port());
        let health = format!("{base}/health");
        self.listener_health = Some(base);
        self.listener = Some(Running::spawn(|stop| listener.run_until_stopped(stop)));
        // Ready once it is connected to RabbitMQ.
        wait_until_healthy(&health).await;
    }

    /// `POST {path}` with a raw body.
    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.address))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("broker answers");
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.expect("JSON body");
        (status, body)
    }

    /// `POST /handle` with a JSON body.
    pub async fn handle(&self, body: &Value) -> (u16, JsonResponse<Value>) {
        let (status, body) = self.post_raw("/handle", body.to_string()).await;
        (status, serde_json::from_value(body).expect("contract body"))
    }

    /// `POST /handle` for a login over `transport` (`None`: the default).
    pub async fn auth(&self, transport: Option<&str>, email: &str, password: &str) -> (u16, Value) {
        let mut body = json!({"action": "auth", "auth": {"email": email, "password": password}});
        if let Some(t) = transport {
            body["transport"] = json!(t);
        }
        self.post_raw("/handle", body.to_string()).await
    }

    /// `POST /handle` for a mail over `transport` (`None`: the default).
    pub async fn mail(&self, transport: Option<&str>, mail: Value) -> (u16, Value) {
        let mut body = json!({"action": "mail", "mail": mail});
        if let Some(t) = transport {
            body["transport"] = json!(t);
        }
        self.post_raw("/handle", body.to_string()).await
    }

    /// `POST /handle` for a log entry over `transport` (`None`: the default).
    pub async fn log(
        &self,
        transport: Option<&str>,
        name: &str,
        data: &str,
    ) -> (u16, JsonResponse<Value>) {
        let mut body = json!({"action": "log", "log": {"name": name, "data": data}});
        if let Some(t) = transport {
            body["transport"] = json!(t);
        }
        self.handle(&body).await
    }

    /// Stops everything this test started and drops its database and queues.
    pub async fn teardown(mut self) {
        for running in [self.broker.take(), self.listener.take()]
            .into_iter()
            .flatten()
        {
            running.stop().await;
        }
        for running in self.services.drain(..).rev() {
            running.stop().await;
        }
        self.mongo.drop().await;
        self.postgres.drop().await;
        self.amqp.delete().await;
    }
}

/// A worker's servers on port 0, serving AMQP in the test's namespace.
pub fn serve_on_any_port<D: DefaultAddrs>(server: &mut ServerSettings<D>, amqp: &TestAmqp) {
    server.on_any_port();
    server.amqp.amqp_url = testkit::amqp_url();
    server.amqp.amqp_namespace = amqp.namespace.clone();
}

/// Starts a logger on port 0 writing into `database`.
pub async fn spawn_logger(database: &str, amqp: &TestAmqp) -> (Running, WorkerAddrs) {
    let any = WorkerAddrs {
        http: "http://127.0.0.1:0".into(),
        rpc: "127.0.0.1:0".into(),
        grpc: "http://127.0.0.1:0".into(),
    };
    spawn_logger_at(database, amqp, &any).await
}

/// Starts a logger again on the ports of `addrs` (a restart).
pub async fn spawn_logger_on(database: &str, amqp: &TestAmqp, addrs: &WorkerAddrs) -> Running {
    spawn_logger_at(database, amqp, addrs).await.0
}

async fn spawn_logger_at(
    database: &str,
    amqp: &TestAmqp,
    addrs: &WorkerAddrs,
) -> (Running, WorkerAddrs) {
    let bind = |url: &str| url.trim_start_matches("http://").to_owned();
    let mut settings = logger::Settings::from_env().expect("logger settings");
    serve_on_any_port(&mut settings.server, amqp);
    settings.server.http_addr = bind(&addrs.http);
    settings.server.rpc_addr = bind(&addrs.rpc);
    settings.server.grpc_addr = bind(&addrs.grpc);
    settings.mongo_url = testkit::mongo_url();
    settings.mongo_database = database.to_owned();
    let logger = logger::Application::build(settings)
        .await
        .expect("logger builds");
    let addrs = WorkerAddrs::of(logger.ports());
    let running = Running::spawn(|stop| logger.run_until_stopped(stop));
    amqp.wait_until_served(Worker::Logger).await;
    (running, addrs)
}
