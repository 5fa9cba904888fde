//! The broker binary stops cleanly on SIGTERM (what Docker and Swarm send).

#[tokio::test]
async fn the_broker_binary_exits_0_on_sigterm() {
    let exit = testkit::start_and_terminate(env!("CARGO_BIN_EXE_broker"), &[], "/ping").await;
    assert!(exit.success(), "{exit:?}");
}
