//! The logger's binary: it starts, becomes healthy, and exits 0 on SIGTERM.

use testkit::{TestAmqp, TestMongo};

#[tokio::test]
async fn the_binary_exits_0_on_sigterm() {
    let mongo = TestMongo::new().await;
    // Its AMQP request queue in a namespace of its own, not the shared default.
    let amqp = TestAmqp::new();
    let env = [
        ("RPC_ADDR", "127.0.0.1:0".to_owned()),
        ("GRPC_ADDR", "127.0.0.1:0".to_owned()),
        ("MONGO_URL", testkit::mongo_url()),
        ("MONGO_DATABASE", mongo.name.clone()),
        ("AMQP_URL", testkit::amqp_url()),
        ("AMQP_NAMESPACE", amqp.namespace.clone()),
    ];
    let exit = testkit::start_and_terminate(env!("CARGO_BIN_EXE_logger"), &env, "/health").await;
    assert!(exit.success(), "{exit:?}");
    mongo.drop().await;
    amqp.delete().await;
}
