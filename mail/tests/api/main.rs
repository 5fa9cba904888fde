//! The mail service's tests: a real service on port 0 sending to the SMTP catcher.

use std::time::Duration;

use clients::{
    CallError,
    grpc::{GrpcEndpoints, GrpcWorkers},
    rpc::{RpcEndpoints, RpcWorkers},
};
use flexi_mail::{Application, Settings};
use protocol::{MailPayload, WorkerError};
use serde_json::json;
use testkit::{MailCatcher, closed_port, unique_name};
use tokio_util::sync::CancellationToken;

async fn spawn(
    tweak: impl FnOnce(&mut Settings),
) -> (
    String,
    String,
    String,
    CancellationToken,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    runtime::telemetry::init_for_tests();
    let (host, port) = testkit::smtp_addr();
    let mut settings = Settings::from_env().expect("settings");
    settings.http_addr = "127.0.0.1:0".into();
    settings.rpc_addr = "127.0.0.1:0".into();
    settings.grpc_addr = "127.0.0.1:0".into();
    settings.http_workers = 1;
    settings.mail_host = host;
    settings.mail_port = port;
    settings.smtp_timeout_ms = 1000;
    tweak(&mut settings);
    let app = Application::build(settings).await.expect("builds");
    let http = format!("http://127.0.0.1:{}", app.http_port());
    let rpc = format!("127.0.0.1:{}", app.rpc_port());
    let grpc = format!("http://127.0.0.1:{}", app.grpc_port());
    let stop = CancellationToken::new();
    let task = tokio::spawn(app.run_until_stopped(stop.clone()));
    (http, rpc, grpc, stop, task)
}

fn mail(to: &str) -> MailPayload {
    MailPayload {
        from: String::new(),
        to: to.into(),
        subject: "direct".into(),
        message: "hi".into(),
    }
}

#[tokio::test]
async fn every_transport_delivers_to_the_catcher() {
    let (http, rpc, grpc, stop, task) = spawn(|_| {}).await;
    let timeout = Duration::from_secs(3);
    let rpc = RpcWorkers::new(
        &RpcEndpoints {
            mail: rpc,
            ..Default::default()
        },
        timeout,
    );
    let grpc = GrpcWorkers::new(
        &GrpcEndpoints {
            mail: grpc,
            ..Default::default()
        },
        timeout,
    )
    .expect("urls");
    let catcher = MailCatcher::new();

    let to_http = format!("{}@example.com", unique_name("http"));
    let response = reqwest::Client::new()
        .post(format!("{http}/send"))
        .json(&json!({"to": to_http, "subject": "direct", "message": "hi"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status().as_u16(), 202);
    let body: serde_json::Value = response.json().await.expect("JSON");
    assert_eq!(body["message"], format!("sent to {to_http}"));

    let to_rpc = format!("{}@example.com", unique_name("rpc"));
    assert_eq!(
        rpc.send_mail(&mail(&to_rpc)).await,
        Ok(format!("sent to {to_rpc}"))
    );
    let to_grpc = format!("{}@example.com", unique_name("grpc"));
    assert_eq!(
        grpc.send_mail(&mail(&to_grpc)).await,
        Ok(format!("sent to {to_grpc}"))
    );

    for to in [&to_http, &to_rpc, &to_grpc] {
        let caught = catcher.wait_for(to, timeout).await.expect("caught");
        assert_eq!(caught.from[0].address, "flexiconnect@example.com");
    }
    stop.cancel();
    task.await.expect("no panic").expect("clean exit");
}

#[tokio::test]
async fn an_unreachable_smtp_server_is_unavailable_not_failed() {
    let (_, rpc, _, stop, task) = spawn(|s| s.mail_port = closed_port()).await;
    let rpc = RpcWorkers::new(
        &RpcEndpoints {
            mail: rpc,
            ..Default::default()
        },
        Duration::from_secs(3),
    );
    let result = rpc.send_mail(&mail("you@example.com")).await;
    assert!(
        matches!(result, Err(CallError::Worker(WorkerError::Unavailable(_)))),
        "{result:?}"
    );
    stop.cancel();
    task.await.expect("no panic").expect("clean exit");
}

#[tokio::test]
async fn the_binary_exits_0_on_sigterm() {
    let env = [
        ("RPC_ADDR", "127.0.0.1:0".to_owned()),
        ("GRPC_ADDR", "127.0.0.1:0".to_owned()),
    ];
    let exit = testkit::start_and_terminate(env!("CARGO_BIN_EXE_mail"), &env, "/ping").await;
    assert!(exit.success(), "{exit:?}");
}
