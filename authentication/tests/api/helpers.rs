//! [`TestAuth`]: an authentication service on port 0 with a Postgres database
//! (the caller's) and an AMQP namespace of its own, and typed ways to call it.

use std::time::Duration;

use clients::{amqp::AmqpClient, grpc::GrpcWorkers, rpc::RpcWorkers};
use flexi_authentication::{Application, Settings};
use protocol::{PerWorker, Worker};
use runtime::{service::Service, worker::Ports};
use serde_json::{Value, json};
use testkit::{Running, TestAmqp, TestPostgres, closed_port};

/// A running authentication service, migrated and seeded.
pub struct TestAuth {
    /// Its bound ports.
    pub ports: Ports,
    /// Its AMQP namespace (its request queue is `authentication_requests.<namespace>`).
    pub amqp: TestAmqp,
    client: reqwest::Client,
    running: Running,
}

impl TestAuth {
    /// A service on `postgres` (created and migrated by the service) with this
    /// bcrypt cost, once its health check says the database is ready.
    pub async fn spawn(postgres: &TestPostgres, bcrypt_cost: u32) -> Self {
        runtime::telemetry::init_for_tests();
        let amqp = TestAmqp::new();
        let mut settings = Settings::from_env().expect("settings");
        settings.server.on_any_port();
        settings.server.amqp.amqp_url = testkit::amqp_url();
        settings.server.amqp.amqp_namespace = amqp.namespace.clone();
        settings.dsn = postgres.dsn.clone().into();
        settings.bcrypt_cost = bcrypt_cost;
        settings.logger_url = testkit::http_url(closed_port());
        let app = Application::build(settings).await.expect("builds");
        let ports = app.ports();
        let running = Running::spawn(|stop| app.run_until_stopped(stop));
        // Migrated and seeded.
        testkit::wait_until_healthy(&format!("{}/health", testkit::http_url(ports.http))).await;
        Self {
            ports,
            amqp,
            client: reqwest::Client::new(),
            running,
        }
    }

    /// `POST /authenticate`: the status and the JSON answer.
    pub async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        let response = self
            .client
            .post(format!(
                "{}/authenticate",
                testkit::http_url(self.ports.http)
            ))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("answers");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON"),
        )
    }

    /// The service's address for one transport (the other workers: none).
    fn endpoints(address: String) -> PerWorker<String> {
        PerWorker {
            authentication: address,
            ..PerWorker::default()
        }
    }

    /// A tarpc client of this service.
    pub fn rpc(&self, timeout: Duration) -> RpcWorkers {
        RpcWorkers::new(&Self::endpoints(testkit::local(self.ports.rpc)), timeout)
    }

    /// A gRPC client of this service.
    pub fn grpc(&self, timeout: Duration) -> GrpcWorkers {
        let url = testkit::http_url(self.ports.grpc);
        GrpcWorkers::new(&Self::endpoints(url), timeout).expect("urls")
    }

    /// An AMQP client of this service's namespace, once the service consumes
    /// its request queue.
    pub async fn amqp(&self, timeout: Duration) -> AmqpClient {
        self.amqp.wait_until_served(Worker::Authentication).await;
        AmqpClient::new(
            testkit::amqp_url(),
            self.amqp.names.clone(),
            "test",
            1,
            timeout,
        )
    }

    /// Stops the service (it must exit cleanly) and deletes its AMQP namespace.
    pub async fn stop(self) {
        self.running.stop().await;
        self.amqp.delete().await;
    }
}
