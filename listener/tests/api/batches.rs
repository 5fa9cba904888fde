//! Events are stored in batches: a batch cut off half-way by a crash is
//! stored in full once a listener runs again, and no event is lost.

use std::{collections::BTreeSet, time::Duration};

use lapin::{BasicProperties, options::BasicPublishOptions};
use runtime::{
    amqp::{ENV_AMQP_NAMESPACE, ENV_AMQP_URL},
    nats::{ENV_NATS_NAMESPACE, ENV_NATS_URL},
};
use testkit::{Binary, Running, TestAmqp, TestMongo, filter, unique_name};

use crate::helpers::event;

const EVENTS: usize = 600;

#[tokio::test]
async fn a_batch_interrupted_half_way_by_a_crash_is_stored_in_full_after_the_restart() {
    runtime::telemetry::init_for_tests();
    let mongo = TestMongo::new().await;
    let amqp = TestAmqp::new();
    let nats = amqp.nats_settings();
    let bus = [
        (ENV_AMQP_URL, testkit::amqp_url()),
        (ENV_AMQP_NAMESPACE, amqp.namespace.clone()),
        (ENV_NATS_URL, nats.nats_url.clone()),
        (ENV_NATS_NAMESPACE, nats.nats_namespace.clone()),
    ];

    // The events wait in the listener's queue before any listener runs.
    let connection = amqp.connect().await;
    let channel = connection.create_channel().await.expect("channel");
    runtime::amqp::declare_event_topology(&channel, &amqp.names)
        .await
        .expect("the event topology");
    let name = unique_name("crash");
    for i in 0..EVENTS {
        channel
            .basic_publish(
                amqp.names.logs_exchange.as_str().into(),
                "log.INFO".into(),
                BasicPublishOptions::default(),
                &event(&name, &i.to_string()),
                BasicProperties::default().with_delivery_mode(2),
            )
            .await
            .expect("publish")
            .await
            .expect("confirm");
    }

    // A logger that stores one entry per insert, one insert at a time: a
    // batch of 64 takes many round trips, so the crash falls inside one.
    let mut slow = bus.to_vec();
    slow.extend([
        ("MONGO_URL", testkit::mongo_url()),
        ("MONGO_DATABASE", mongo.name.clone()),
        ("WRITE_BATCH_MAX", "1".to_owned()),
        ("WRITE_CONCURRENCY", "1".to_owned()),
    ]);
    let logger_binary = testkit::binary("logger");
    let logger_binary = logger_binary.to_str().expect("a UTF-8 path");
    let logger = Binary::start(logger_binary, &slow, "/health").await;
    let mut listening = bus.to_vec();
    listening.extend([
        ("LOGGER_URL", testkit::http_url(logger.http)),
        ("BATCH_MAX", "64".to_owned()),
        ("STORE_CONCURRENCY", "2".to_owned()),
    ]);
    let listener = Binary::start(env!("CARGO_BIN_EXE_listener"), &listening, "/health").await;
    let stored = || async { mongo.find_logs(filter! {"name": &name}).await };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while stored().await.len() < EVENTS / 6 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the listener stores nothing"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Both crash in the middle of a batch: what was not stored yet never will be
    // by them; only the events RabbitMQ still holds unacked can be stored later.
    logger.kill().await;
    listener.kill().await;
    let at_crash = stored().await.len();
    assert!(
        at_crash < EVENTS,
        "the crash came after everything was stored ({at_crash}): nothing was interrupted"
    );

    let mut settings = logger::Settings::from_env().expect("settings");
    testkit::serve_on_any_port(&mut settings.server, &amqp);
    settings.mongo_url = testkit::mongo_url();
    settings.mongo_database = mongo.name.clone();
    let (logger, ports) = Running::build::<logger::Application>(settings).await;
    let mut settings = flexi_listener::Settings::from_env().expect("settings");
    settings.http_addr = testkit::local(0);
    settings.amqp = amqp.settings();
    settings.nats = nats;
    settings.logger_url = testkit::http_url(ports.http);
    let (restarted, _) = Running::build::<flexi_listener::Application>(settings).await;
    let expected: BTreeSet<String> = (0..EVENTS).map(|i| i.to_string()).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let mut seen = BTreeSet::new();
    while seen != expected && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let entries = stored().await;
        seen = entries
            .iter()
            .filter_map(|e| e.get_str("data").ok().map(str::to_owned))
            .collect();
    }
    let missing: Vec<_> = expected.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "{} of {EVENTS} events lost after the crash ({at_crash} were stored when it came): {missing:?}",
        missing.len()
    );
    restarted.stop().await;
    logger.stop().await;
    let _ = connection.close(200, "done".into()).await;
    mongo.drop().await;
    amqp.delete().await;
}
