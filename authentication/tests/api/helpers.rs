//! [`TestAuth`]: an authentication service on port 0 with a Postgres database
//! (the caller's) and an AMQP namespace of its own, and typed ways to call it.

use flexi_authentication::{Application, Settings};
use protocol::Worker;
use serde_json::{Value, json};
use testkit::{TestPostgres, TestWorker, closed_port};

/// A running authentication service, migrated and seeded.
pub struct TestAuth {
    /// The service (its addresses, its AMQP namespace, its typed clients).
    pub worker: TestWorker,
    client: reqwest::Client,
}

impl TestAuth {
    /// A service on `postgres` (created and migrated by the service) with this
    /// bcrypt cost, once its health check says the database is ready.
    pub async fn spawn(postgres: &TestPostgres, bcrypt_cost: u32) -> Self {
        let worker = TestWorker::spawn::<Application>(Worker::Authentication, |amqp| {
            let mut settings = Settings::from_env().expect("settings");
            testkit::serve_on_any_port(&mut settings.server, amqp);
            settings.dsn = postgres.dsn.clone().into();
            settings.bcrypt_cost = bcrypt_cost;
            settings.logger_url = testkit::http_url(closed_port());
            settings
        })
        .await;
        // Migrated and seeded.
        testkit::wait_until_healthy(&format!("{}/health", worker.addrs.http)).await;
        Self {
            worker,
            client: reqwest::Client::new(),
        }
    }

    /// `POST /authenticate`: the status and the JSON answer.
    pub async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/authenticate", self.worker.addrs.http))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("answers");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON"),
        )
    }

    /// Stops the service (it must exit cleanly) and deletes its AMQP namespace.
    pub async fn stop(self) {
        self.worker.stop().await;
    }
}
