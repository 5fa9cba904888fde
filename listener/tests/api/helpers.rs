//! [`Stack`]: a logger and a listener on one AMQP namespace and one MongoDB
//! database of their own, and a channel to publish events with.

use flexi_listener::{Application, Settings};
use lapin::{BasicProperties, Channel, options::BasicPublishOptions};
use protocol::LogPayload;
use testkit::{Running, TestAmqp, TestMongo};

/// A logger and a listener storing events through it.
pub struct Stack {
    /// The logger's database.
    pub mongo: TestMongo,
    /// The namespace both use.
    pub amqp: TestAmqp,
    /// A channel of the test's own connection.
    pub channel: Channel,
    /// The services, in start order.
    running: Vec<Running>,
    _connection: lapin::Connection,
}

impl Stack {
    /// Starts the logger, then the listener, and waits until the listener consumes.
    pub async fn spawn() -> Self {
        runtime::telemetry::init_for_tests();
        let mongo = TestMongo::new().await;
        let amqp = TestAmqp::new();

        let mut logger = logger::Settings::from_env().expect("settings");
        // The logger serves its own AMQP request queue: in the test's namespace.
        testkit::serve_on_any_port(&mut logger.server, &amqp);
        logger.mongo_url = testkit::mongo_url();
        logger.mongo_database = mongo.name.clone();
        let (logger, logger_ports) = Running::build::<logger::Application>(logger).await;

        let mut settings = Settings::from_env().expect("settings");
        settings.http_addr = testkit::local(0);
        settings.amqp = amqp.settings();
        settings.nats = amqp.nats_settings();
        settings.logger_url = testkit::http_url(logger_ports.http);
        settings.max_failed_attempts = 2;
        let (listener, port) = Running::build::<Application>(settings).await;
        // The listener consumes.
        testkit::wait_until_healthy(&format!("{}/health", testkit::http_url(port))).await;

        let connection = amqp.connect().await;
        let channel = connection.create_channel().await.expect("channel");
        Self {
            mongo,
            amqp,
            channel,
            running: vec![logger, listener],
            _connection: connection,
        }
    }

    /// Publishes `body` to the namespace's `logs_topic` with `routing_key`.
    pub async fn publish_event(&self, routing_key: &str, body: &[u8]) {
        self.channel
            .basic_publish(
                self.amqp.names.logs_exchange.as_str().into(),
                routing_key.into(),
                BasicPublishOptions::default(),
                body,
                BasicProperties::default(),
            )
            .await
            .expect("publish")
            .await
            .expect("confirm");
    }

    /// Stops the listener, then the logger (each must exit cleanly), and
    /// deletes the database and the namespace.
    pub async fn stop(self) {
        for running in self.running.into_iter().rev() {
            running.stop().await;
        }
        self.mongo.drop().await;
        self.amqp.delete().await;
    }
}

/// An event's body: a log entry as JSON; `name` must be valid.
pub fn event(name: &str, data: &str) -> Vec<u8> {
    serde_json::to_vec(&LogPayload {
        name: name.parse().expect("a valid log name"),
        data: data.into(),
    })
    .expect("json")
}
