//! `TestApp`: a broker with its own logger and listener, on port 0.

use std::time::Duration;

use protocol::JsonResponse;
use serde_json::{Value, json};
use testkit::{TestAmqp, TestMongo, closed_port};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Deadline the test broker gives every dispatch.
pub const DISPATCH_TIMEOUT: Duration = Duration::from_millis(2000);

/// A service running on the test's runtime.
pub struct Running {
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
}

impl Running {
    fn spawn<F>(run: impl FnOnce(CancellationToken) -> F) -> Self
    where
        F: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let stop = CancellationToken::new();
        let task = tokio::spawn(run(stop.clone()));
        Self { stop, task }
    }

    /// Sends the stop signal and waits for a clean exit.
    pub async fn stop(self) {
        self.stop.cancel();
        self.task
            .await
            .expect("service task panicked")
            .expect("service failed");
    }
}

/// Where the broker finds the logger.
#[derive(Clone)]
pub struct LoggerAddrs {
    pub http: String,
    pub rpc: String,
    pub grpc: String,
}

impl LoggerAddrs {
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
    pub amqp: TestAmqp,
    pub logger_addrs: LoggerAddrs,
    pub broker: Option<Running>,
    pub logger: Option<Running>,
    pub listener: Option<Running>,
}

/// What to start besides the broker.
pub struct Stack {
    pub logger: bool,
    pub listener: bool,
}

impl TestApp {
    /// Broker, logger and listener.
    pub async fn spawn() -> Self {
        Self::spawn_with(Stack {
            logger: true,
            listener: true,
        })
        .await
    }

    /// The broker and the chosen workers.
    pub async fn spawn_with(stack: Stack) -> Self {
        runtime::telemetry::init_for_tests();
        let mongo = TestMongo::new().await;
        let amqp = TestAmqp::new();
        let (logger, logger_addrs) = if stack.logger {
            let (running, addrs) = spawn_logger(&mongo.name).await;
            (Some(running), addrs)
        } else {
            (None, LoggerAddrs::nowhere())
        };
        let mut app = Self {
            address: String::new(),
            client: reqwest::Client::new(),
            mongo,
            amqp,
            logger_addrs,
            broker: None,
            logger,
            listener: None,
        };
        if stack.listener {
            app.start_listener().await;
        }
        let mut settings = flexi_broker::Settings::from_env().expect("broker settings");
        settings.http_addr = "127.0.0.1:0".into();
        settings.http_workers = 1;
        settings.amqp.amqp_url = testkit::amqp_url();
        settings.amqp.amqp_namespace = app.amqp.namespace.clone();
        settings.logger_url = app.logger_addrs.http.clone();
        settings.logger_rpc_addr = app.logger_addrs.rpc.clone();
        settings.logger_grpc_url = app.logger_addrs.grpc.clone();
        settings.dispatch_timeout_ms = DISPATCH_TIMEOUT.as_millis() as u64;
        let broker = flexi_broker::Application::build(settings)
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
        settings.call_timeout_ms = 2000;
        let listener = listener::Application::build(settings)
            .await
            .expect("listener builds");
        let health = format!("http://127.0.0.1:{}/health", listener.http_port());
        self.listener = Some(Running::spawn(|stop| listener.run_until_stopped(stop)));
        // Ready once it consumes: its request queue exists from then on.
        for _ in 0..200 {
            if let Ok(r) = self.client.get(&health).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("listener did not connect to RabbitMQ");
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
        for running in [self.broker.take(), self.listener.take(), self.logger.take()]
            .into_iter()
            .flatten()
        {
            running.stop().await;
        }
        self.mongo.drop().await;
        self.amqp.delete().await;
    }
}

/// Starts a logger on port 0 writing into `database`.
pub async fn spawn_logger(database: &str) -> (Running, LoggerAddrs) {
    let mut settings = logger::Settings::from_env().expect("logger settings");
    settings.http_addr = "127.0.0.1:0".into();
    settings.rpc_addr = "127.0.0.1:0".into();
    settings.grpc_addr = "127.0.0.1:0".into();
    settings.http_workers = 1;
    settings.mongo_url = testkit::mongo_url();
    settings.mongo_database = database.to_owned();
    let logger = logger::Application::build(settings)
        .await
        .expect("logger builds");
    let addrs = LoggerAddrs {
        http: format!("http://127.0.0.1:{}", logger.http_port()),
        rpc: format!("127.0.0.1:{}", logger.rpc_port()),
        grpc: format!("http://127.0.0.1:{}", logger.grpc_port()),
    };
    (Running::spawn(|stop| logger.run_until_stopped(stop)), addrs)
}
