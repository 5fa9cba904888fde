//! The authentication service's tests: a real service on port 0 against its own
//! Postgres database.

use std::time::{Duration, Instant};

use clients::{
    CallError,
    grpc::{GrpcEndpoints, GrpcWorkers},
    rpc::{RpcEndpoints, RpcWorkers},
};
use flexi_authentication::{Application, Settings};
use protocol::{Credentials, WorkerError};
use serde_json::{Value, json};
use testkit::{TestPostgres, closed_port};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

struct TestAuth {
    http: String,
    rpc: String,
    grpc: String,
    stop: CancellationToken,
    task: JoinHandle<anyhow::Result<()>>,
    client: reqwest::Client,
}

impl TestAuth {
    async fn spawn(postgres: &TestPostgres, bcrypt_cost: u32) -> Self {
        runtime::telemetry::init_for_tests();
        let mut settings = Settings::from_env().expect("settings");
        settings.http_addr = "127.0.0.1:0".into();
        settings.rpc_addr = "127.0.0.1:0".into();
        settings.grpc_addr = "127.0.0.1:0".into();
        settings.http_workers = 1;
        settings.dsn = postgres.dsn.clone().into();
        settings.bcrypt_cost = bcrypt_cost;
        settings.logger_url = format!("http://127.0.0.1:{}", closed_port());
        let app = Application::build(settings).await.expect("builds");
        let http = format!("http://127.0.0.1:{}", app.http_port());
        let rpc = format!("127.0.0.1:{}", app.rpc_port());
        let grpc = format!("http://127.0.0.1:{}", app.grpc_port());
        let stop = CancellationToken::new();
        let task = tokio::spawn(app.run_until_stopped(stop.clone()));
        let client = reqwest::Client::new();
        let mut ready = false;
        for _ in 0..400 {
            if client
                .get(format!("{http}/health"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert!(ready, "migrated and seeded");
        Self {
            http,
            rpc,
            grpc,
            stop,
            task,
            client,
        }
    }

    async fn login(&self, email: &str, password: &str) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}/authenticate", self.http))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("answers");
        (
            response.status().as_u16(),
            response.json().await.expect("JSON"),
        )
    }

    async fn stop(self) {
        self.stop.cancel();
        self.task.await.expect("no panic").expect("clean exit");
    }
}

#[tokio::test]
async fn the_seed_user_logs_in_with_the_originals_answer() {
    let postgres = TestPostgres::new();
    let auth = TestAuth::spawn(&postgres, 4).await;
    let (status, body) = auth.login("admin@example.com", "verysecret").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["message"], "Logged in user admin@example.com");
    assert_eq!(body["data"]["first_name"], "Admin");
    assert!(body["data"].get("password").is_none());

    let (status, body) = auth.login("admin@example.com", "nope").await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"error": true, "message": "invalid credentials"})
    );
    auth.stop().await;
    postgres.drop().await;
}

#[tokio::test]
async fn restarting_migrates_nothing_twice_and_seeds_once() {
    let postgres = TestPostgres::new();
    TestAuth::spawn(&postgres, 4).await.stop().await;
    let auth = TestAuth::spawn(&postgres, 4).await;
    let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&postgres.dsn)
        .await
        .expect("connects");
    let admins: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'admin@example.com'")
            .fetch_one(&mut connection)
            .await
            .expect("counts");
    assert_eq!(admins, 1);
    let hash: String =
        sqlx::query_scalar("SELECT password FROM users WHERE email = 'admin@example.com'")
            .fetch_one(&mut connection)
            .await
            .expect("reads");
    assert!(hash.starts_with("$2"), "stored as a bcrypt hash");
    drop(connection);
    auth.stop().await;
    postgres.drop().await;
}

#[tokio::test]
async fn tarpc_and_grpc_answer_like_http() {
    let postgres = TestPostgres::new();
    let auth = TestAuth::spawn(&postgres, 4).await;
    let timeout = Duration::from_secs(2);
    let rpc = RpcWorkers::new(
        &RpcEndpoints {
            authentication: auth.rpc.clone(),
            ..Default::default()
        },
        timeout,
    );
    let grpc = GrpcWorkers::new(
        &GrpcEndpoints {
            authentication: auth.grpc.clone(),
            ..Default::default()
        },
        timeout,
    )
    .expect("urls");
    let good = Credentials {
        email: "admin@example.com".into(),
        password: "verysecret".into(),
    };
    let bad = Credentials {
        email: "admin@example.com".into(),
        password: "nope".into(),
    };
    assert_eq!(
        rpc.authenticate(&good).await.expect("rpc login").email,
        "admin@example.com"
    );
    assert_eq!(
        grpc.authenticate(&good).await.expect("grpc login").email,
        "admin@example.com"
    );
    assert_eq!(
        rpc.authenticate(&bad).await,
        Err(CallError::Worker(WorkerError::Unauthorized))
    );
    assert_eq!(
        grpc.authenticate(&bad).await,
        Err(CallError::Worker(WorkerError::Unauthorized))
    );
    auth.stop().await;
    postgres.drop().await;
}

#[tokio::test]
async fn unknown_email_and_wrong_password_take_about_the_same_time() {
    // Cost 10 makes bcrypt (~50 ms) dominate the call, as it does in production.
    let postgres = TestPostgres::new();
    let auth = TestAuth::spawn(&postgres, 10).await;
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(auth.login("admin@example.com", "wrong").await.0, 401);
        wrong.push(started.elapsed());
        let started = Instant::now();
        assert_eq!(auth.login("nobody@example.com", "wrong").await.0, 401);
        unknown.push(started.elapsed());
    }
    wrong.sort();
    unknown.sort();
    let (wrong, unknown) = (wrong[2].as_secs_f64(), unknown[2].as_secs_f64());
    let ratio = unknown / wrong;
    assert!(
        (0.5..2.0).contains(&ratio),
        "median unknown {unknown:.4}s vs wrong password {wrong:.4}s"
    );
    auth.stop().await;
    postgres.drop().await;
}

#[tokio::test]
async fn the_binary_exits_0_on_sigterm() {
    let postgres = TestPostgres::new();
    let env = [
        ("RPC_ADDR", "127.0.0.1:0".to_owned()),
        ("GRPC_ADDR", "127.0.0.1:0".to_owned()),
        ("DSN", postgres.dsn.clone()),
        ("BCRYPT_COST", "4".to_owned()),
    ];
    let exit =
        testkit::start_and_terminate(env!("CARGO_BIN_EXE_authentication"), &env, "/health").await;
    assert!(exit.success(), "{exit:?}");
    postgres.drop().await;
}
