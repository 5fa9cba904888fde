//! The deployments' RabbitMQ users, imported into a real RabbitMQ: the
//! definitions `project/scripts/rabbitmq-users.sh` renders (their password
//! hashes included) go, renamed to a vhost and users of the test's own, into the
//! local RabbitMQ through `rabbitmqctl import_definitions`. The services then
//! run as their users, and each user is refused what it has no business doing.
//! (`deploy::rabbitmq` checks the same definitions against the code's names.)
//!
//! - [`refusals`]: what each user is refused.

use std::{collections::BTreeMap, process::Command, time::Duration};

use lapin::Connection;
use protocol::{Worker, amqp::AmqpNames};
use runtime::amqp::AmqpSettings;
use serde_json::{Value, json};
use testkit::{Running, WorkerAddrs, http_url, local, unique_name};

use crate::deploy::rabbitmq::USERS;

mod refusals;

/// The definitions imported under names of the test's own; deleted by `delete`.
struct Imported {
    vhost: String,
    suffix: String,
    passwords: BTreeMap<&'static str, String>,
}

impl Imported {
    async fn new() -> Self {
        let suffix = unique_name("lp").replace('_', "-");
        let vhost = format!("flexi-{suffix}");
        let passwords: BTreeMap<_, _> = USERS
            .iter()
            .map(|(_, user)| (*user, uuid::Uuid::new_v4().simple().to_string()))
            .collect();
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../project/scripts/rabbitmq-users.sh"
        );
        let mut render = Command::new(script);
        render.arg("definitions");
        for (user, password) in &passwords {
            render.env(
                format!("RABBITMQ_{}_PASSWORD", user.to_uppercase()),
                password,
            );
        }
        let output = render.output().expect("rabbitmq-users.sh runs");
        assert!(output.status.success(), "{output:?}");
        let mut definitions: Value = serde_json::from_slice(&output.stdout).expect("JSON");
        definitions["vhosts"] = json!([{ "name": vhost }]);
        for (list, key) in [("users", "name"), ("permissions", "user")] {
            for entry in definitions[list].as_array_mut().expect("a list") {
                let name = entry[key].as_str().expect("a name");
                entry[key] = json!(format!("{name}-{suffix}"));
            }
        }
        for list in ["permissions", "policies"] {
            for entry in definitions[list].as_array_mut().expect("a list") {
                entry["vhost"] = json!(vhost);
            }
        }
        let path = std::env::temp_dir().join(format!("{vhost}.json"));
        std::fs::write(&path, definitions.to_string()).expect("write the definitions");
        let imported = Self {
            vhost,
            suffix,
            passwords,
        };
        rabbitmqctl(&["import_definitions", path.to_str().expect("UTF-8")]);
        std::fs::remove_file(&path).expect("remove the definitions");
        // The import may finish after rabbitmqctl returns.
        for _ in 0..100 {
            let listed = rabbitmqctl(&["list_permissions", "--quiet", "-p", &imported.vhost]);
            if listed.lines().count() > USERS.len() {
                return imported;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the definitions were not imported within 10 s");
    }

    /// `user`'s URL: the test's RabbitMQ, its vhost.
    fn url(&self, user: &str) -> String {
        let uri = runtime::amqp::parse_url(&testkit::amqp_url()).expect("TEST_AMQP_URL");
        let (host, port) = (uri.authority.host, uri.authority.port);
        let password = &self.passwords[user];
        format!(
            "amqp://{user}-{}:{password}@{host}:{port}/{}",
            self.suffix, self.vhost
        )
    }

    /// `user`'s settings: no namespace (the deployments' names), its own vhost.
    fn settings(&self, user: &str) -> AmqpSettings {
        AmqpSettings {
            amqp_url: self.url(user),
            amqp_url_file: None,
            amqp_namespace: String::new(),
        }
    }

    async fn connect(&self, user: &str) -> Connection {
        runtime::amqp::connect(&self.url(user), "rabbitmq_users test")
            .await
            .unwrap_or_else(|e| panic!("{user} connects with its password: {e}"))
    }

    fn delete(self) {
        rabbitmqctl(&["delete_vhost", &self.vhost]);
        for (_, user) in USERS {
            rabbitmqctl(&["delete_user", &format!("{user}-{}", self.suffix)]);
        }
    }
}

/// `rabbitmqctl args…`, which must succeed; its output.
fn rabbitmqctl(args: &[&str]) -> String {
    let output = Command::new("rabbitmqctl")
        .args(args)
        .output()
        .expect("rabbitmqctl runs (it comes with rabbitmq-server)");
    assert!(output.status.success(), "rabbitmqctl {args:?}: {output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// `POST /handle` of a log entry over `transport` (`None`: the original's event).
async fn log(broker: &str, name: &str, transport: Option<&str>) -> u16 {
    let data = transport.unwrap_or("event");
    let mut body = json!({"action": "log", "log": {"name": name, "data": data}});
    if let Some(transport) = transport {
        body["transport"] = json!(transport);
    }
    handle(broker, body).await.0
}

/// `POST /handle` of `body`: its status and answer.
pub(crate) async fn handle(broker: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .post(format!("{broker}/handle"))
        .json(&body)
        .send()
        .await
        .expect("the broker answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn the_broker_the_logger_and_the_listener_work_as_their_own_users() {
    let imported = Imported::new().await;
    let mongo = testkit::TestMongo::new().await;
    let nats = testkit::nats::nats_settings(&unique_name("t"));
    let mut settings = logger::Settings::from_env().expect("logger settings");
    settings.server.on_any_port();
    settings.server.amqp = imported.settings(Worker::Logger.name());
    settings.server.nats = nats.clone();
    settings.mongo_url = testkit::mongo_url();
    settings.mongo_database = mongo.name.clone();
    let (logger, ports) = Running::build::<logger::Application>(settings).await;
    let logger_addrs = WorkerAddrs::of(Worker::Logger, ports);
    let (broker, address) = spawn_broker(imported.settings("broker"), &nats, &logger_addrs).await;

    let name = unique_name("users");
    // The original's event, before any listener ran: the broker declares the
    // event topology first (its dead-letter argument included) and publishes.
    assert_eq!(log(&address, &name, None).await, 202, "a log event");
    // Request/reply: the broker publishes to logger_requests and reads its reply
    // queue; the logger consumes its queue and replies (once it consumes: 503 before).
    let over_amqp = crate::helpers::eventually(Duration::from_secs(15), 202, || {
        log(&address, &name, Some("amqp"))
    });
    assert_eq!(over_amqp.await, 202, "a log over AMQP request/reply");

    let mut settings = listener::Settings::from_env().expect("listener settings");
    settings.http_addr = local(0);
    settings.amqp = imported.settings("listener");
    settings.nats = nats.clone();
    settings.logger_url = logger_addrs.http.clone();
    let (listener, port) = Running::build::<listener::Application>(settings).await;
    // Healthy once it declared the event topology and consumes, as its user.
    testkit::wait_until_healthy(&format!("{}/health", http_url(port))).await;
    let stored = |data: &str| mongo.find_logs(testkit::log_filter(&name, data));
    for _ in 0..100 {
        if !stored("event").await.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stored("amqp").await.len(), 1, "stored by request/reply");
    assert_eq!(stored("event").await.len(), 1, "stored by the listener");
    assert_dead_letters_bounded(&imported.vhost);

    broker.stop().await;
    listener.stop().await;
    logger.stop().await;
    mongo.drop().await;
    testkit::nats::delete_stream(&nats.nats_namespace).await;
    imported.delete();
}

/// A broker with these RabbitMQ and NATS settings (its own users), the logger
/// at `logger`, the other workers nowhere; its base URL.
pub(crate) async fn spawn_broker(
    amqp: runtime::amqp::AmqpSettings,
    nats: &runtime::nats::NatsSettings,
    logger: &WorkerAddrs,
) -> (Running, String) {
    let mut settings = broker::Settings::from_env().expect("broker settings");
    settings.http_addr = local(0);
    settings.http_workers = 1;
    settings.amqp = amqp;
    settings.nats = nats.clone();
    settings.logger_url = logger.http.clone();
    settings.logger_rpc_addr = logger.rpc.clone();
    settings.logger_grpc_url = logger.grpc.clone();
    let (auth, mail) = (Worker::Authentication, Worker::Mail);
    let (auth, mail) = (WorkerAddrs::nowhere(auth), WorkerAddrs::nowhere(mail));
    (settings.auth_url, settings.auth_rpc_addr) = (auth.http, auth.rpc);
    (settings.mail_url, settings.mail_rpc_addr) = (mail.http, mail.rpc);
    let built = broker::Application::build(settings).await.expect("builds");
    let address = http_url(built.port());
    (
        Running::spawn(|stop| built.run_until_stopped(stop)),
        address,
    )
}

/// The dead letters' bound applies to the queue the code declared, which
/// declares no argument of its own to override it.
fn assert_dead_letters_bounded(vhost: &str) {
    let columns = ["name", "policy", "arguments"];
    let args = ["list_queues", "--quiet", "--no-table-headers", "-p", vhost];
    let queues = rabbitmqctl(&[&args[..], &columns[..]].concat());
    let dead = AmqpNames::default().dead_letter_queue;
    let line = queues
        .lines()
        .find(|line| line.split_whitespace().next() == Some(dead.as_str()))
        .unwrap_or_else(|| panic!("no {dead} in {queues}"));
    let columns: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(columns[1..], ["dead-letters-bounded", "[]"], "{line}");
}
