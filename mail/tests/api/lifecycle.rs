//! The mail binary: it starts, answers `/ping`, and exits 0 on SIGTERM.

use testkit::TestAmqp;

#[tokio::test]
async fn the_binary_exits_0_on_sigterm() {
    // Its AMQP request queue in a namespace of its own, not the shared default.
    let amqp = TestAmqp::new();
    let env = [
        ("RPC_ADDR", "127.0.0.1:0".to_owned()),
        ("GRPC_ADDR", "127.0.0.1:0".to_owned()),
        ("AMQP_URL", testkit::amqp_url()),
        ("AMQP_NAMESPACE", amqp.namespace.clone()),
    ];
    let exit = testkit::start_and_terminate(env!("CARGO_BIN_EXE_mail"), &env, "/ping").await;
    assert!(exit.success(), "{exit:?}");
    amqp.delete().await;
}
