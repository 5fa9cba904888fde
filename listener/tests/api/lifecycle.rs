//! The listener's binary: it starts, consumes, and exits 0 on SIGTERM.

use testkit::TestAmqp;

#[tokio::test]
async fn the_binary_exits_0_on_sigterm() {
    let amqp = TestAmqp::new();
    let env = [
        ("AMQP_URL", testkit::amqp_url()),
        ("AMQP_NAMESPACE", amqp.namespace.clone()),
    ];
    let exit = testkit::start_and_terminate(env!("CARGO_BIN_EXE_listener"), &env, "/health").await;
    assert!(exit.success(), "{exit:?}");
    amqp.delete().await;
}
