//! tarpc and gRPC (and HTTP through the same client interface), and invalid
//! entries refused on every transport.

use protocol::{
    WorkerError,
    grpc::logs::{Log, LogRequest, log_service_client::LogServiceClient},
};
use serde_json::json;
use testkit::{log_filter, unique_name};

use crate::helpers::{TIMEOUT, TestLogger, log_call};

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

    // A blank name can no longer be built as a `LogPayload`, so the typed tarpc
    // client cannot send it: its wire form is refused over HTTP ...
    let blank = r#"{"name": " ", "data": "d"}"#;
    let (status, answer) = app.post_log(blank.into()).await;
    assert_eq!(status, 400, "{blank}: {answer}");
    assert_eq!(answer["error"], true);

    // ... as the raw proto message over gRPC ...
    let mut grpc = LogServiceClient::connect(app.worker.addrs.grpc.clone())
        .await
        .expect("gRPC connects");
    let status = grpc
        .write_log(LogRequest {
            log_entry: Some(Log {
                name: " ".into(),
                data: "d".into(),
            }),
        })
        .await
        .expect_err("a blank name is refused");
    assert_eq!(status.code(), tonic::Code::InvalidArgument, "{status:?}");
    assert!(matches!(
        WorkerError::from_status(&status),
        WorkerError::Invalid(_)
    ));

    // ... and as the raw call JSON over AMQP.
    let mut amqp = app.raw_amqp().await;
    let call = json!({"action": "log", "log": {"name": " ", "data": "d"}});
    let (_, _, reply) = amqp.request(call.to_string().as_bytes()).await;
    assert!(matches!(reply, Err(WorkerError::Invalid(_))), "{reply:?}");
    app.stop().await;
}

#[tokio::test]
async fn tarpc_and_grpc_store_the_entry() {
    let app = TestLogger::spawn().await;
    let worker = &app.worker;
    let (rpc, grpc) = (worker.rpc_client(TIMEOUT), worker.grpc_client(TIMEOUT));
    let http = worker.http_client(TIMEOUT);
    let name = unique_name("direct");
    let message = |answer: Result<protocol::Answer, _>| answer.map(|a| a.message);

    assert_eq!(
        message(rpc.call(&log_call(&name, "rpc")).await),
        Ok("logged".into())
    );
    assert_eq!(
        message(grpc.call(&log_call(&name, "grpc")).await),
        Ok("logged".into())
    );
    assert_eq!(
        message(http.call(&log_call(&name, "http")).await),
        Ok("logged".into())
    );
    // The original proto's door, and its answer.
    let mut original = LogServiceClient::connect(worker.addrs.grpc.clone())
        .await
        .expect("gRPC connects");
    let entry = Log {
        name: name.clone(),
        data: "logs.proto".into(),
    };
    let written = original
        .write_log(LogRequest {
            log_entry: Some(entry),
        })
        .await;
    let result = written.map(|response| response.into_inner().result);
    assert_eq!(result.ok().as_deref(), Some("logged!"));

    for data in ["rpc", "grpc", "http", "logs.proto"] {
        assert_eq!(
            app.mongo.find_logs(log_filter(&name, data)).await.len(),
            1,
            "{data}"
        );
    }
    app.stop().await;
}
