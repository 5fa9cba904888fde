//! The logger's tests: a real logger on port 0 against the Mongo-wire server,
//! called over each of its three transports.

use std::time::Duration;

use clients::{
    CallError,
    grpc::{GrpcEndpoints, GrpcWorkers},
    http::{HttpEndpoints, HttpWorkers},
    rpc::{RpcEndpoints, RpcWorkers},
};
use flexi_logger::{Application, Settings};
use protocol::{JsonResponse, LogPayload, LogRecord, WorkerError};
use serde_json::{Value, json};
use testkit::{TestMongo, closed_port, log_filter, unique_name};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

const TIMEOUT: Duration = Duration::from_secs(2);

struct TestLogger {
    http: String,
    rpc: String,
    grpc: String,
    mongo: TestMongo,
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
    client: reqwest::Client,
}

impl TestLogger {
    async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        runtime::telemetry::init_for_tests();
        let mongo = TestMongo::new().await;
        let mut settings = Settings::from_env().expect("settings");
        settings.http_addr = "127.0.0.1:0".into();
        settings.rpc_addr = "127.0.0.1:0".into();
        settings.grpc_addr = "127.0.0.1:0".into();
        settings.http_workers = 1;
        settings.mongo_url = testkit::mongo_url();
        settings.mongo_database = mongo.name.clone();
        tweak(&mut settings);
        let app = Application::build(settings).await.expect("logger builds");
        let http = format!("http://127.0.0.1:{}", app.http_port());
        let rpc = format!("127.0.0.1:{}", app.rpc_port());
        let grpc = format!("http://127.0.0.1:{}", app.grpc_port());
        let stop = CancellationToken::new();
        let task = tokio::spawn(app.run_until_stopped(stop.clone()));
        Self {
            http,
            rpc,
            grpc,
            mongo,
            stop,
            task,
            client: reqwest::Client::new(),
        }
    }

    async fn post_log(&self, body: String) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/log", self.http))
            .body(body)
            .send()
            .await
            .expect("logger answers");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON body"),
        )
    }

    async fn stop(self) {
        self.stop.cancel();
        self.task.await.expect("no panic").expect("clean exit");
        self.mongo.drop().await;
    }
}

fn entry(name: &str, data: &str) -> LogPayload {
    LogPayload {
        name: name.into(),
        data: data.into(),
    }
}

#[tokio::test]
async fn post_log_stores_the_entry_and_answers_202_logged() {
    let app = TestLogger::spawn().await;
    let name = unique_name("http");

    let (status, body) = app
        .post_log(json!({"name": name, "data": "hello"}).to_string())
        .await;

    assert_eq!(status, 202);
    assert_eq!(body, json!({"error": false, "message": "logged"}));
    assert_eq!(
        app.mongo.find_logs(log_filter(&name, "hello")).await.len(),
        1
    );
    app.stop().await;
}

#[tokio::test]
async fn get_logs_lists_the_newest_first_up_to_the_limit() {
    let app = TestLogger::spawn().await;
    for i in 0..5 {
        let (status, _) = app
            .post_log(json!({"name": "n", "data": format!("{i}")}).to_string())
            .await;
        assert_eq!(status, 202);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let answer: JsonResponse<Vec<LogRecord>> = app
        .client
        .get(format!("{}/logs?limit=3", app.http))
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("contract body");
    let data: Vec<_> = answer
        .data
        .expect("entries")
        .into_iter()
        .map(|r| r.data)
        .collect();
    assert_eq!(data, ["4", "3", "2"]);

    let bad = app
        .client
        .get(format!("{}/logs?limit=0", app.http))
        .send()
        .await
        .expect("answers");
    assert_eq!(bad.status().as_u16(), 400);
    app.stop().await;
}

#[tokio::test]
async fn concurrent_writes_are_all_stored_once() {
    // Exercises the group commit: many callers at once, each answered after storage.
    let app = TestLogger::spawn().await;
    let name = unique_name("burst");
    let calls =
        (0..200).map(|i| app.post_log(json!({"name": name, "data": format!("{i}")}).to_string()));
    let answers = futures::future::join_all(calls).await;
    assert!(answers.iter().all(|(status, _)| *status == 202));
    let stored = app
        .mongo
        .wait_for_logs(testkit::filter! {"name": &name}, 200, Duration::ZERO)
        .await;
    assert_eq!(stored, 200);
    app.stop().await;
}

#[tokio::test]
async fn invalid_entries_are_400_on_every_transport() {
    let app = TestLogger::spawn().await;
    for body in [
        "{",
        r#"{"name": "n"}"#,
        r#"{"name": "", "data": "d"}"#,
        r#"{"name": 3, "data": "d"}"#,
    ] {
        let (status, answer) = app.post_log(body.into()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"], true);
    }
    let blank = entry(" ", "d");
    let rpc = RpcWorkers::new(
        &RpcEndpoints {
            logger: app.rpc.clone(),
            ..Default::default()
        },
        TIMEOUT,
    );
    assert!(matches!(
        rpc.log(&blank).await,
        Err(CallError::Worker(WorkerError::Invalid(_)))
    ));
    let grpc = GrpcWorkers::new(
        &GrpcEndpoints {
            logger: app.grpc.clone(),
            ..Default::default()
        },
        TIMEOUT,
    )
    .expect("url");
    assert!(matches!(
        grpc.log(&blank).await,
        Err(CallError::Worker(WorkerError::Invalid(_)))
    ));
    app.stop().await;
}

#[tokio::test]
async fn tarpc_and_grpc_store_the_entry() {
    let app = TestLogger::spawn().await;
    let rpc = RpcWorkers::new(
        &RpcEndpoints {
            logger: app.rpc.clone(),
            ..Default::default()
        },
        TIMEOUT,
    );
    let grpc = GrpcWorkers::new(
        &GrpcEndpoints {
            logger: app.grpc.clone(),
            ..Default::default()
        },
        TIMEOUT,
    )
    .expect("url");
    let http = HttpWorkers::new(
        HttpEndpoints {
            logger: app.http.clone(),
            ..Default::default()
        },
        TIMEOUT,
    )
    .expect("client");
    let name = unique_name("direct");

    assert_eq!(rpc.log(&entry(&name, "rpc")).await, Ok("logged".into()));
    // The original proto's answer.
    assert_eq!(grpc.log(&entry(&name, "grpc")).await, Ok("logged!".into()));
    assert_eq!(http.log(&entry(&name, "http")).await, Ok("logged".into()));

    for data in ["rpc", "grpc", "http"] {
        assert_eq!(
            app.mongo.find_logs(log_filter(&name, data)).await.len(),
            1,
            "{data}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn an_unreachable_mongodb_is_503_and_health_says_so() {
    let app = TestLogger::spawn_with(|s| {
        s.mongo_url = format!(
            "mongodb://127.0.0.1:{}/?directConnection=true",
            closed_port()
        );
        s.mongo_timeout_ms = 300;
    })
    .await;
    let (status, body) = app
        .post_log(json!({"name": "n", "data": "d"}).to_string())
        .await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"], true);
    let rpc = RpcWorkers::new(
        &RpcEndpoints {
            logger: app.rpc.clone(),
            ..Default::default()
        },
        TIMEOUT,
    );
    assert!(matches!(
        rpc.log(&entry("n", "d")).await,
        Err(CallError::Worker(WorkerError::Unavailable(_)))
    ));
    let health = app
        .client
        .get(format!("{}/health", app.http))
        .send()
        .await
        .expect("answers");
    assert_eq!(health.status().as_u16(), 503);
    app.stop().await;
}

#[tokio::test]
async fn ping_and_health_answer_when_mongodb_is_up() {
    let app = TestLogger::spawn().await;
    let ping = app
        .client
        .get(format!("{}/ping", app.http))
        .send()
        .await
        .expect("answers");
    assert_eq!(ping.status().as_u16(), 200);
    let health = app
        .client
        .get(format!("{}/health", app.http))
        .send()
        .await
        .expect("answers");
    assert_eq!(health.status().as_u16(), 200);
    app.stop().await;
}

#[tokio::test]
async fn a_method_log_does_not_serve_is_a_json_405_naming_post() {
    let app = TestLogger::spawn().await;
    let response = app
        .client
        .get(format!("{}/log", app.http))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["error"], true);
    app.stop().await;
}

#[tokio::test]
async fn the_binary_exits_0_on_sigterm() {
    let mongo = TestMongo::new().await;
    let env = [
        ("RPC_ADDR", "127.0.0.1:0".to_owned()),
        ("GRPC_ADDR", "127.0.0.1:0".to_owned()),
        ("MONGO_URL", testkit::mongo_url()),
        ("MONGO_DATABASE", mongo.name.clone()),
    ];
    let exit = testkit::start_and_terminate(env!("CARGO_BIN_EXE_logger"), &env, "/health").await;
    assert!(exit.success(), "{exit:?}");
    mongo.drop().await;
}
