//! The authentication binary: it starts, becomes healthy, and exits 0 on SIGTERM.

use testkit::TestPostgres;

#[tokio::test]
async fn the_binary_exits_0_on_sigterm() {
    let postgres = TestPostgres::new();
    let env = [
        ("DSN", postgres.dsn.clone()),
        ("BCRYPT_COST", "4".to_owned()),
    ];
    let binary = env!("CARGO_BIN_EXE_authentication");
    testkit::assert_exits_0_on_sigterm(binary, &env, "/health").await;
    postgres.drop().await;
}
