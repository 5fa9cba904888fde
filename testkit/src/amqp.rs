//! The shared RabbitMQ: an AMQP namespace of its own per test ([`TestAmqp`]),
//! deleted queue by queue and exchange by exchange when the test is done.

use lapin::{
    options::{ExchangeDeleteOptions, QueueDeclareOptions, QueueDeleteOptions},
    types::FieldTable,
};
use protocol::{Worker, amqp::AmqpNames};
use runtime::amqp::AmqpSettings;

use crate::names::unique_name;

/// Env var naming the RabbitMQ tests use.
pub const ENV_TEST_AMQP_URL: &str = "TEST_AMQP_URL";

/// RabbitMQ's URL.
pub fn amqp_url() -> String {
    std::env::var(ENV_TEST_AMQP_URL)
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// An AMQP namespace of its own on the shared RabbitMQ.
pub struct TestAmqp {
    /// The namespace (hand it to services as `AMQP_NAMESPACE`).
    pub namespace: String,
    /// The names it gives.
    pub names: AmqpNames,
}

impl TestAmqp {
    /// A fresh namespace; nothing is declared until a service does.
    pub fn new() -> Self {
        let namespace = unique_name("t");
        let names = AmqpNames::new(&namespace);
        Self { namespace, names }
    }

    /// A service's RabbitMQ settings: the shared RabbitMQ, this namespace.
    pub fn settings(&self) -> AmqpSettings {
        AmqpSettings {
            amqp_url: amqp_url(),
            amqp_url_file: None,
            amqp_namespace: self.namespace.clone(),
        }
    }

    /// A connection to the shared RabbitMQ.
    pub async fn connect(&self) -> lapin::Connection {
        runtime::amqp::connect(&amqp_url(), "test")
            .await
            .expect("RabbitMQ reachable at TEST_AMQP_URL")
    }

    /// The namespace's NATS settings (NATS shares the namespace).
    pub fn nats_settings(&self) -> runtime::nats::NatsSettings {
        crate::nats::nats_settings(&self.namespace)
    }

    /// Waits until `worker` consumes its request queue and serves its NATS
    /// subject (it connected to both and serves their calls), panicking after
    /// 15 s: until then an AMQP or NATS call to it is a fast 503, as it should
    /// be.
    pub async fn wait_until_served(&self, worker: Worker) {
        self.wait_until_served_at(worker, &self.nats_settings())
            .await;
    }

    /// [`TestAmqp::wait_until_served`], with the worker's NATS where `nats`
    /// says (a server of the test's own).
    pub async fn wait_until_served_at(&self, worker: Worker, nats: &runtime::nats::NatsSettings) {
        self.wait_until_consumed(worker).await;
        crate::nats::wait_until_served(nats, worker).await;
    }

    async fn wait_until_consumed(&self, worker: Worker) {
        let queue = self.names.request_queues.get(worker);
        let connection = self.connect().await;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            // A passive declare of a missing queue closes its channel: one per try.
            if let Ok(channel) = connection.create_channel().await {
                let passive = QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                };
                let declared = channel
                    .queue_declare(queue.as_str().into(), passive, FieldTable::default())
                    .await;
                if declared.is_ok_and(|q| q.consumer_count() > 0) {
                    let _ = connection.close(200, "served".into()).await;
                    return;
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the {worker} did not consume {queue} within 15 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Deletes every queue (the listener's, its dead letters', each worker's
    /// request queue) and exchange of the namespace, and its NATS event stream.
    pub async fn delete(self) {
        crate::nats::delete_stream(&self.namespace).await;
        let connection = self.connect().await;
        let Ok(channel) = connection.create_channel().await else {
            return;
        };
        let request_queues = Worker::ALL.map(|worker| self.names.request_queues.get(worker));
        for queue in [&self.names.logs_queue, &self.names.dead_letter_queue]
            .into_iter()
            .chain(request_queues)
        {
            let _ = channel
                .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
        for exchange in [&self.names.logs_exchange, &self.names.dead_letter_exchange] {
            let _ = channel
                .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
                .await;
        }
        let _ = connection.close(200, "done".into()).await;
    }
}

impl Default for TestAmqp {
    fn default() -> Self {
        Self::new()
    }
}
