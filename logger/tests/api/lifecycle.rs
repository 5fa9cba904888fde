//! The logger's binary: it starts, becomes healthy, and exits 0 on SIGTERM.

use testkit::TestMongo;

#[tokio::test]
async fn the_binary_exits_0_on_sigterm() {
    let mongo = TestMongo::new().await;
    let env = [
        ("MONGO_URL", testkit::mongo_url()),
        ("MONGO_DATABASE", mongo.name.clone()),
    ];
    testkit::assert_exits_0_on_sigterm(env!("CARGO_BIN_EXE_logger"), &env, "/health").await;
    mongo.drop().await;
}
