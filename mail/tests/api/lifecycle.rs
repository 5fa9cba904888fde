//! The mail binary: it starts, answers `/ping`, and exits 0 on SIGTERM.

#[tokio::test]
async fn the_binary_exits_0_on_sigterm() {
    testkit::assert_exits_0_on_sigterm(env!("CARGO_BIN_EXE_mail"), &[], "/ping").await;
}
