//! The listener's tests: real RabbitMQ (own namespace), real logger, Mongo-wire.

use std::time::Duration;

use flexi_listener::{Application, Settings};
use futures::StreamExt;
use lapin::{
    BasicProperties, Channel,
    options::{BasicConsumeOptions, BasicGetOptions, BasicPublishOptions, QueueDeclareOptions},
    types::FieldTable,
};
use protocol::{
    LogPayload, WorkerError,
    amqp::{AmqpReply, AmqpRequest},
};
use testkit::{TestAmqp, TestMongo, filter, log_filter, unique_name};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

struct Stack {
    mongo: TestMongo,
    amqp: TestAmqp,
    stops: Vec<(CancellationToken, JoinHandle<anyhow::Result<()>>)>,
    channel: Channel,
    _connection: lapin::Connection,
}

impl Stack {
    async fn spawn() -> Self {
        runtime::telemetry::init_for_tests();
        let mongo = TestMongo::new().await;
        let amqp = TestAmqp::new();
        let mut stops = Vec::new();

        let mut logger = logger::Settings::from_env().expect("settings");
        logger.http_addr = "127.0.0.1:0".into();
        logger.rpc_addr = "127.0.0.1:0".into();
        logger.grpc_addr = "127.0.0.1:0".into();
        logger.http_workers = 1;
        logger.mongo_url = testkit::mongo_url();
        logger.mongo_database = mongo.name.clone();
        let logger = logger::Application::build(logger)
            .await
            .expect("logger builds");
        let logger_url = format!("http://127.0.0.1:{}", logger.http_port());
        let stop = CancellationToken::new();
        stops.push((stop.clone(), tokio::spawn(logger.run_until_stopped(stop))));

        let mut settings = Settings::from_env().expect("settings");
        settings.http_addr = "127.0.0.1:0".into();
        settings.amqp.amqp_url = testkit::amqp_url();
        settings.amqp.amqp_namespace = amqp.namespace.clone();
        settings.logger_url = logger_url;
        settings.max_failed_attempts = 2;
        let listener = Application::build(settings).await.expect("listener builds");
        let health = format!("http://127.0.0.1:{}/health", listener.http_port());
        let stop = CancellationToken::new();
        stops.push((stop.clone(), tokio::spawn(listener.run_until_stopped(stop))));
        let client = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..200 {
            if client
                .get(&health)
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(ready, "listener consumes");

        let connection = amqp.connect().await;
        let channel = connection.create_channel().await.expect("channel");
        Self {
            mongo,
            amqp,
            stops,
            channel,
            _connection: connection,
        }
    }

    async fn publish_event(&self, routing_key: &str, body: &[u8]) {
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

    async fn stop(self) {
        for (stop, task) in self.stops.into_iter().rev() {
            stop.cancel();
            task.await.expect("no panic").expect("clean exit");
        }
        self.mongo.drop().await;
        self.amqp.delete().await;
    }
}

#[tokio::test]
async fn events_of_every_severity_are_stored() {
    let stack = Stack::spawn().await;
    let name = unique_name("sev");
    for key in ["log.INFO", "log.WARNING", "log.ERROR"] {
        let body = serde_json::to_vec(&LogPayload {
            name: name.clone(),
            data: key.into(),
        })
        .expect("json");
        stack.publish_event(key, &body).await;
    }
    let stored = stack
        .mongo
        .wait_for_logs(filter! {"name": &name}, 3, Duration::from_secs(10))
        .await;
    assert_eq!(stored, 3);
    stack.stop().await;
}

#[tokio::test]
async fn connections_ask_rabbitmq_for_small_frames_unless_the_url_says_otherwise() {
    // Each lapin connection buffers 32 frames each way; at RabbitMQ's 128 KiB
    // default that is 8 MiB resident per service.
    let amqp = TestAmqp::new();
    let connection = amqp.connect().await;
    assert_eq!(
        connection.configuration().frame_max(),
        runtime::amqp::DEFAULT_FRAME_MAX
    );
    let _ = connection.close(200, "done".into()).await;

    let url = testkit::amqp_url();
    let separator = if url.contains('?') { '&' } else { '?' };
    let explicit = format!("{url}{separator}frame_max=65536");
    let connection = runtime::amqp::connect(&explicit, "test")
        .await
        .expect("RabbitMQ reachable");
    assert_eq!(connection.configuration().frame_max(), 65_536);
    let _ = connection.close(200, "done".into()).await;
}

#[tokio::test]
async fn poison_events_go_to_the_dead_letter_queue_and_do_not_block_the_rest() {
    let stack = Stack::spawn().await;
    stack.publish_event("log.INFO", b"not json").await;
    stack
        .publish_event("log.INFO", br#"{"name": "", "data": "blank name"}"#)
        .await;
    let name = unique_name("after");
    let good = serde_json::to_vec(&LogPayload {
        name: name.clone(),
        data: "ok".into(),
    })
    .expect("json");
    stack.publish_event("log.INFO", &good).await;

    assert_eq!(
        stack
            .mongo
            .wait_for_logs(log_filter(&name, "ok"), 1, Duration::from_secs(10))
            .await,
        1
    );
    let mut dead = Vec::new();
    for _ in 0..100 {
        if let Some(message) = stack
            .channel
            .basic_get(
                stack.amqp.names.dead_letter_queue.as_str().into(),
                BasicGetOptions { no_ack: true },
            )
            .await
            .expect("basic.get")
        {
            dead.push(message.delivery.data);
            if dead.len() == 2 {
                break;
            }
        } else {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    dead.sort();
    let mut expected = vec![
        br#"{"name": "", "data": "blank name"}"#.to_vec(),
        b"not json".to_vec(),
    ];
    expected.sort();
    assert_eq!(dead, expected);
    stack.stop().await;
}

#[tokio::test]
async fn a_request_is_answered_on_its_reply_queue_with_its_correlation_id() {
    let stack = Stack::spawn().await;
    let reply_queue = stack
        .channel
        .queue_declare(
            "".into(),
            QueueDeclareOptions {
                exclusive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("reply queue");
    let mut replies = stack
        .channel
        .basic_consume(
            reply_queue.name().clone(),
            "".into(),
            BasicConsumeOptions {
                no_ack: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .expect("consume");
    let name = unique_name("rr");
    let calls = [
        (
            AmqpRequest::Log {
                log: LogPayload {
                    name: name.clone(),
                    data: "d".into(),
                },
            },
            true,
        ),
        (
            AmqpRequest::Log {
                log: LogPayload {
                    name: String::new(),
                    data: "d".into(),
                },
            },
            false,
        ),
    ];
    for (request, should_succeed) in calls {
        let id = uuid::Uuid::new_v4().to_string();
        stack
            .channel
            .basic_publish(
                "".into(),
                stack.amqp.names.request_queue.as_str().into(),
                BasicPublishOptions::default(),
                &serde_json::to_vec(&request).expect("json"),
                BasicProperties::default()
                    .with_correlation_id(id.as_str().into())
                    .with_reply_to(reply_queue.name().clone()),
            )
            .await
            .expect("publish");
        let reply = tokio::time::timeout(Duration::from_secs(5), replies.next())
            .await
            .expect("a reply in time")
            .expect("stream open")
            .expect("delivery");
        assert_eq!(
            reply
                .properties
                .correlation_id()
                .as_ref()
                .map(|s| s.as_str()),
            Some(id.as_str())
        );
        let answer: AmqpReply<String> = serde_json::from_slice(&reply.data).expect("reply body");
        if should_succeed {
            assert_eq!(answer, Ok("logged".to_owned()));
        } else {
            assert!(matches!(answer, Err(WorkerError::Invalid(_))), "{answer:?}");
        }
    }
    assert_eq!(stack.mongo.find_logs(log_filter(&name, "d")).await.len(), 1);
    stack.stop().await;
}

#[tokio::test]
async fn the_binary_exits_0_on_sigterm() {
    let amqp = TestAmqp::new();
    let env = [
        ("AMQP_URL", testkit::amqp_url()),
        ("AMQP_NAMESPACE", amqp.namespace.clone()),
    ];
    let exit = testkit::start_and_terminate(env!("CARGO_BIN_EXE_listener"), &env, "/health").await;
    assert!(exit.success(), "{exit:?}");
    amqp.delete().await;
}
