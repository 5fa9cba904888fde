//! The deployments' NATS configuration, run: Debian's `nats-server` with
//! `project/nats/nats.conf` (its store and ports moved to the test's own),
//! each user's password in its environment as the deployments give it; the
//! logger, the broker and the listener then run as their users with the
//! deployments' subjects (no namespace), and what a user has no business doing
//! is refused. ([`super::nats`] checks the file against the code's names.)

use std::time::Duration;

use protocol::{Worker, nats::NatsNames};
use runtime::{amqp::AmqpSettings, nats::NatsSettings, secret::Secret};
use serde_json::json;
use testkit::{Running, WorkerAddrs, closed_port, local, log_filter, unique_name};

use super::rabbitmq::USERS;
use crate::rabbitmq_users::handle;

/// A `nats-server` running the deployments' configuration.
struct Server {
    port: u16,
    monitor: u16,
    dir: std::path::PathBuf,
    _child: tokio::process::Child,
}

impl Server {
    async fn start() -> Self {
        let dir = std::env::temp_dir().join(unique_name("nats-users"));
        std::fs::create_dir_all(&dir).expect("a directory");
        let store = format!("store_dir: {}", dir.join("store").display());
        let conf = super::nats::nats_conf().replace("store_dir: /data", &store);
        let path = dir.join("nats.conf");
        std::fs::write(&path, conf).expect("write nats.conf");
        let (port, monitor) = (closed_port(), closed_port());
        let mut command = tokio::process::Command::new("nats-server");
        command
            .arg("-c")
            .arg(&path)
            .args(["-a", "127.0.0.1", "-p", &port.to_string()])
            .args(["-m", &monitor.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true);
        for (_, user) in USERS {
            command.env(
                format!("NATS_{}_PASSWORD", user.to_uppercase()),
                password(user),
            );
        }
        let child = command.spawn().expect("nats-server runs");
        for _ in 0..500 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                return Self {
                    port,
                    monitor,
                    dir,
                    _child: child,
                };
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("nats-server with project/nats/nats.conf did not listen within 10 s");
    }

    /// `user`'s settings (`None`: anonymous), with `password`.
    fn settings(&self, user: Option<&str>, password: &str) -> NatsSettings {
        NatsSettings {
            nats_url: format!("nats://127.0.0.1:{}", self.port),
            nats_user: user.map(str::to_owned),
            nats_password: Some(Secret::from(password.to_owned())),
            ..NatsSettings::default()
        }
    }

    /// How many messages JetStream stores, from the monitoring port.
    async fn stored_events(&self) -> u64 {
        let url = format!("http://127.0.0.1:{}/jsz", self.monitor);
        let jsz: serde_json::Value = reqwest::get(url)
            .await
            .expect("/jsz")
            .json()
            .await
            .expect("JSON");
        jsz["messages"].as_u64().expect("messages")
    }

    /// `user`'s settings with its password.
    fn user(&self, user: &str) -> NatsSettings {
        self.settings(Some(user), &password(user))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `user`'s password: letters only, as the deployments' scripts make them.
fn password(user: &str) -> String {
    format!("Pw{}Letters", user.to_uppercase())
}

/// The shared test RabbitMQ, in a namespace of the test's own.
fn amqp(namespace: &str) -> AmqpSettings {
    AmqpSettings {
        amqp_url: testkit::amqp_url(),
        amqp_url_file: None,
        amqp_namespace: namespace.to_owned(),
    }
}

#[tokio::test]
async fn the_services_work_as_their_own_nats_users_and_the_rest_is_refused() {
    let server = Server::start().await;
    let connects = |settings: NatsSettings| async move {
        let connected = settings.connect("nats_users test", Duration::from_secs(5));
        connected.await
    };
    assert!(
        connects(server.settings(None, "")).await.is_err(),
        "anonymous"
    );
    let wrong = server.settings(Some("broker"), "wrong");
    assert!(connects(wrong).await.is_err(), "a wrong password");

    let (mongo, namespace) = (testkit::TestMongo::new().await, unique_name("nu"));
    let mut settings = logger::Settings::from_env().expect("logger settings");
    settings.server.on_any_port();
    settings.server.amqp = amqp(&namespace);
    settings.server.nats = server.user("logger");
    settings.mongo_url = testkit::mongo_url();
    settings.mongo_database = mongo.name.clone();
    let (logger, ports) = Running::build::<logger::Application>(settings).await;
    let logger_addrs = WorkerAddrs::of(Worker::Logger, ports);
    testkit::nats::wait_until_served(&server.user("broker"), Worker::Logger).await;

    let (broker, address) = crate::rabbitmq_users::spawn_broker(
        amqp(&namespace),
        &server.user("broker"),
        &logger_addrs,
    )
    .await;

    let name = unique_name("nats-users");
    let log = |data: &str, how: (&str, &str)| json!({"action": "log", (how.0): how.1, "log": {"name": name, "data": data}});
    // Request/reply: the broker publishes to flexi.calls.logger and reads its
    // inbox; the logger serves its subject and replies.
    let (status, answer) = handle(&address, log("request", ("transport", "nats"))).await;
    assert_eq!(
        status, 202,
        "a log over NATS as the broker and the logger: {answer}"
    );
    // JetStream: the broker makes the stream and publishes before any listener.
    let (status, answer) = handle(&address, log("event", ("bus", "nats"))).await;
    assert_eq!(
        status, 202,
        "a log event on JetStream as the broker: {answer}"
    );

    let mut settings = listener::Settings::from_env().expect("listener settings");
    settings.http_addr = local(0);
    settings.amqp = amqp(&namespace);
    settings.nats = server.user("listener");
    settings.logger_url = logger_addrs.http.clone();
    let (listener, _) = Running::build::<listener::Application>(settings).await;
    let stored = |data: &'static str| {
        mongo.wait_for_logs(log_filter(&name, data), 1, Duration::from_secs(15))
    };
    assert_eq!(stored("request").await, 1, "stored by request/reply");
    assert_eq!(
        stored("event").await,
        1,
        "consumed and acked as the listener"
    );

    listener.stop().await;

    // Refused: a worker publishing an event (the stream keeps the broker's,
    // not the logger's), the listener calling a worker (which serves).
    let names = NatsNames::default();
    let stored_events = || server.stored_events();
    let before = stored_events().await;
    for user in ["broker", "logger"] {
        let client = connects(server.user(user)).await.expect(user);
        let event = client.publish(names.events.clone(), "{}".into());
        event.await.expect("sent");
        client.flush().await.expect("flushed");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = stored_events().await;
    assert_eq!(after, before + 1, "only the broker's user publishes events");
    let listener_client = connects(server.user("listener")).await.expect("listener");
    let subject = names.calls.get(Worker::Logger).clone();
    let asked = listener_client.request(subject, "{}".into());
    let asked = tokio::time::timeout(Duration::from_secs(3), asked).await;
    assert!(
        !matches!(asked, Ok(Ok(_))),
        "the listener user called the logger"
    );

    broker.stop().await;
    logger.stop().await;
    mongo.drop().await;
}
