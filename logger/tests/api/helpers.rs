//! [`TestLogger`]: a logger on port 0 with a MongoDB database and an AMQP
//! namespace of its own, and typed ways to call it.

use std::time::Duration;

use flexi_logger::{Application, Settings};
use futures::StreamExt;
use lapin::{
    BasicProperties, Channel, Consumer,
    options::{BasicPublishOptions, QueueDeclareOptions},
    types::FieldTable,
};
use protocol::{Call, LogPayload, Reply, Worker};
use serde_json::{Value, json};
use testkit::{TestAmqp, TestMongo, TestWorker};

/// Deadline of every client call.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// A running logger and what it was given.
pub struct TestLogger {
    /// The logger (its addresses, its AMQP namespace, its typed clients).
    pub worker: TestWorker,
    /// Its database.
    pub mongo: TestMongo,
    /// A plain HTTP client, for raw requests.
    pub client: reqwest::Client,
}

impl TestLogger {
    /// A logger on the test's Mongo-wire server and RabbitMQ.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// The same, with `tweak` applied to its settings.
    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        let mongo = TestMongo::new().await;
        let worker = TestWorker::spawn::<Application>(Worker::Logger, |amqp| {
            let mut settings = Settings::from_env().expect("settings");
            testkit::serve_on_any_port(&mut settings.server, amqp);
            settings.mongo_url = testkit::mongo_url();
            settings.mongo_database = mongo.name.clone();
            tweak(&mut settings);
            settings
        })
        .await;
        Self {
            worker,
            mongo,
            client: reqwest::Client::new(),
        }
    }

    /// `http://127.0.0.1:<http port>{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.worker.addrs.http)
    }

    /// `POST /log` with `body` as it is: the status and the JSON answer.
    pub async fn post_log(&self, body: String) -> (u16, Value) {
        self.post("/log", body).await
    }

    /// `POST /log` of the entry `{"name": name, "data": data}`: the status and
    /// the JSON answer.
    pub async fn log(&self, name: &str, data: impl Into<String>) -> (u16, Value) {
        let data = data.into();
        self.post_log(json!({"name": name, "data": data}).to_string())
            .await
    }

    /// `POST /call` with `call` (any JSON): the status and the JSON answer.
    pub async fn post_call(&self, call: Value) -> (u16, Value) {
        self.post("/call", call.to_string()).await
    }

    /// `POST {path}` with `body` as it is: the status and the JSON answer.
    pub async fn post(&self, path: &str, body: String) -> (u16, Value) {
        let response = self
            .client
            .post(self.url(path))
            .body(body)
            .send()
            .await
            .expect("logger answers");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON body"),
        )
    }

    /// `GET {path}`.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("logger answers")
    }

    /// A raw AMQP caller of this logger, once it consumes its request queue.
    pub async fn raw_amqp(&self) -> RawAmqpCaller {
        let amqp = &self.worker.amqp;
        amqp.wait_until_served(Worker::Logger).await;
        RawAmqpCaller::open(amqp, amqp.names.request_queues.logger.clone()).await
    }

    /// Stops the logger (it must exit cleanly) and deletes its database and
    /// AMQP namespace.
    pub async fn stop(self) {
        self.worker.stop().await;
        self.mongo.drop().await;
    }
}

/// An entry; `name` must be valid.
pub fn entry(name: &str, data: &str) -> LogPayload {
    LogPayload {
        name: name.parse().expect("a valid log name"),
        data: data.into(),
    }
}

/// `Call::Log` of [`entry`].
pub fn log_call(name: &str, data: &str) -> Call {
    Call::Log {
        log: entry(name, data),
    }
}

/// Publishes bodies no typed client can build to a worker's request queue,
/// with `reply_to` its own exclusive queue, and reads the replies.
pub struct RawAmqpCaller {
    queue: String,
    channel: Channel,
    reply_queue: String,
    replies: Consumer,
    _connection: lapin::Connection,
}

impl RawAmqpCaller {
    /// A reply queue of its own, consumed, for requests to `queue`.
    pub async fn open(amqp: &TestAmqp, queue: String) -> Self {
        let connection = amqp.connect().await;
        let channel = connection.create_channel().await.expect("channel");
        let (reply_queue, replies) = runtime::amqp::declare_reply_queue(&channel)
            .await
            .expect("a reply queue, consumed");
        Self {
            queue,
            channel,
            reply_queue,
            replies,
            _connection: connection,
        }
    }

    /// Publishes `body` with a fresh `correlation_id` and returns the reply's
    /// correlation id with the reply.
    pub async fn request(&mut self, body: &[u8]) -> (String, Option<String>, Reply) {
        let id = self.send(body, &self.reply_queue).await;
        let reply = tokio::time::timeout(Duration::from_secs(5), self.replies.next())
            .await
            .expect("a reply in time")
            .expect("stream open")
            .expect("delivery");
        let correlation = reply
            .properties
            .correlation_id()
            .as_ref()
            .map(|s| s.as_str().to_owned());
        let answer: Reply = serde_json::from_slice(&reply.data).expect("reply body");
        (id, correlation, answer)
    }

    /// Publishes `body` to the worker's queue with `reply_to` as given (any
    /// queue), without waiting for anything; returns its `correlation_id`.
    pub async fn send(&self, body: &[u8], reply_to: &str) -> String {
        let id = uuid::Uuid::new_v4().to_string();
        self.channel
            .basic_publish(
                "".into(),
                self.queue.as_str().into(),
                BasicPublishOptions::default(),
                body,
                BasicProperties::default()
                    .with_correlation_id(id.as_str().into())
                    .with_reply_to(reply_to.into()),
            )
            .await
            .expect("publish")
            .await
            .expect("published");
        id
    }

    /// Declares a plain queue named `queue` (another service's, in a test).
    pub async fn declare(&self, queue: &str) {
        let options = QueueDeclareOptions::default();
        self.channel
            .queue_declare(queue.into(), options, FieldTable::default())
            .await
            .expect("declare");
    }

    /// The number of ready messages in `queue` (which must exist).
    pub async fn ready_messages(&self, queue: &str) -> u32 {
        let passive = QueueDeclareOptions {
            passive: true,
            ..QueueDeclareOptions::default()
        };
        self.channel
            .queue_declare(queue.into(), passive, FieldTable::default())
            .await
            .expect("the queue exists")
            .message_count()
    }
}
