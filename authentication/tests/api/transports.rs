//! tarpc, gRPC and AMQP answer a login as HTTP does.

use std::time::Duration;

use clients::CallError;
use protocol::{Call, Credentials, Data, Login, WorkerError};
use testkit::TestPostgres;

use crate::helpers::TestAuth;

/// `Call::Auth` of these credentials (both must be valid).
fn auth_call(email: &str, password: &str) -> Call {
    Call::Auth {
        auth: Credentials {
            email: email.parse().expect("a valid address"),
            password: password.parse().expect("a valid password"),
        },
    }
}

/// The seed user logs in over `client`; a wrong password is `Unauthorized`.
async fn answers_like_http(transport: &str, client: &testkit::TestClient) {
    let good = auth_call("admin@example.com", "verysecret");
    let bad = auth_call("admin@example.com", "nope");
    let user = client
        .call(&good)
        .await
        .map(|a| a.data)
        .unwrap_or_else(|e| panic!("{transport} login: {e}"));
    let Data::Auth(Login { user, .. }) = user else {
        panic!("{transport} login: no user")
    };
    assert_eq!(user.email, "admin@example.com", "{transport}");
    assert_eq!(
        client.call(&bad).await.map(|a| a.data),
        Err(CallError::Worker(WorkerError::Unauthorized)),
        "{transport}"
    );
}

#[tokio::test]
async fn tarpc_and_grpc_answer_like_http() {
    let postgres = TestPostgres::new();
    let auth = TestAuth::spawn(&postgres, 4).await;
    let timeout = Duration::from_secs(2);
    let worker = &auth.worker;
    answers_like_http("rpc", &worker.rpc_client(timeout)).await;
    answers_like_http("grpc", &worker.grpc_client(timeout)).await;
    answers_like_http("amqp", &worker.amqp_client(timeout).await).await;
    auth.stop().await;
    postgres.drop().await;
}
