//! The frame size a connection to RabbitMQ asks for.

use testkit::TestAmqp;

#[tokio::test]
async fn connections_ask_rabbitmq_for_small_frames_unless_the_url_says_otherwise() {
    // Each lapin connection buffers 32 frames each way; at RabbitMQ's 128 KiB
    // default that is 8 MiB resident per service.
    let amqp = TestAmqp::new();
    let connection = amqp.connect().await;
    assert_eq!(
        connection.configuration().frame_max(),
        runtime::amqp::DEFAULT_FRAME_MAX
    );
    let _ = connection.close(200, "done".into()).await;

    let url = testkit::amqp_url();
    let separator = if url.contains('?') { '&' } else { '?' };
    let explicit = format!("{url}{separator}frame_max=65536");
    let connection = runtime::amqp::connect(&explicit, "test")
        .await
        .expect("RabbitMQ reachable");
    assert_eq!(connection.configuration().frame_max(), 65_536);
    let _ = connection.close(200, "done".into()).await;
}
