//! Each user is refused what its service does not do: a worker touches no
//! other queue and publishes no event, the listener publishes nothing, the
//! broker neither takes nor removes a worker's requests.

use lapin::{
    BasicProperties, Channel, Connection,
    options::{BasicConsumeOptions, BasicPublishOptions, BasicQosOptions, QueueDeleteOptions},
    types::FieldTable,
};
use protocol::{Worker, amqp::AmqpNames};

use super::Imported;

/// Whether `attempt` on a fresh channel of `connection` is refused (RabbitMQ
/// closes the channel: 403 ACCESS_REFUSED).
async fn refused<F, Fut>(connection: &Connection, attempt: F) -> bool
where
    F: FnOnce(Channel) -> Fut,
    Fut: Future<Output = lapin::Result<()>>,
{
    let channel = connection.create_channel().await.expect("a channel");
    let result = attempt(channel.clone()).await;
    // A publish is refused asynchronously: the next call on the channel fails.
    let next = channel.basic_qos(1, BasicQosOptions::default()).await;
    result.is_err() || next.is_err()
}

/// Asserts `who`, on `connection`, is refused `attempt`.
async fn assert_refused<F, Fut>(connection: &Connection, who: impl std::fmt::Display, attempt: F)
where
    F: FnOnce(Channel) -> Fut,
    Fut: Future<Output = lapin::Result<()>>,
{
    assert!(refused(connection, attempt).await, "{who} was allowed it");
}

async fn declare(channel: Channel, queue: &str) -> lapin::Result<()> {
    runtime::amqp::declare_request_queue(&channel, queue).await
}

async fn consume(channel: Channel, queue: &str) -> lapin::Result<()> {
    let options = BasicConsumeOptions::default();
    let tag = "refused";
    channel
        .basic_consume(queue.into(), tag.into(), options, FieldTable::default())
        .await
        .map(drop)
}

async fn delete(channel: Channel, queue: &str) -> lapin::Result<()> {
    let options = QueueDeleteOptions::default();
    channel.queue_delete(queue.into(), options).await.map(drop)
}

async fn publish(channel: Channel, exchange: &str) -> lapin::Result<()> {
    let (key, body) = ("log.INFO", b"{}");
    let (options, properties) = (BasicPublishOptions::default(), BasicProperties::default());
    channel
        .basic_publish(exchange.into(), key.into(), options, body, properties)
        .await
        .map(drop)
}

#[tokio::test]
async fn each_user_is_refused_what_its_service_does_not_do() {
    let imported = Imported::new().await;
    let names = AmqpNames::default();
    let (logs, events) = (&names.logs_exchange, &names.logs_queue);
    let queue = |worker: Worker| names.request_queues.get(worker).clone();
    let [logger, auth, mail] = Worker::ALL.map(queue);
    // Every refusal below is of something that exists (not a 404): the event
    // topology, declared by the listener, and each worker's queue.
    let listener = imported.connect("listener").await;
    let channel = listener.create_channel().await.expect("a channel");
    runtime::amqp::declare_event_topology(&channel, &names)
        .await
        .expect("the listener declares the event topology");
    let consumes = !refused(&listener, |c| consume(c, events)).await;
    assert!(consumes, "the listener consumes its events");

    // Each worker declares and consumes its own queue, and nothing else.
    let workers = [
        (Worker::Logger, &logger, &mail),
        (Worker::Authentication, &auth, &logger),
        (Worker::Mail, &mail, &auth),
    ];
    let mut connections = Vec::new();
    for (worker, own, other) in workers {
        let connection = imported.connect(worker.name()).await;
        let channel = connection.create_channel().await.expect("a channel");
        declare(channel.clone(), own)
            .await
            .expect("declares its queue");
        consume(channel, own).await.expect("consumes its queue");
        connections.push((worker, other, connection));
    }
    for (worker, other, connection) in &connections {
        assert_refused(connection, worker, |c| declare(c, other)).await;
        assert_refused(connection, worker, |c| consume(c, other)).await;
        assert_refused(connection, worker, |c| consume(c, events)).await;
        assert_refused(connection, worker, |c| publish(c, logs)).await;
    }
    assert_refused(&listener, "listener", |c| publish(c, logs)).await;
    assert_refused(&listener, "listener", |c| consume(c, &logger)).await;
    // The broker publishes events, but neither takes nor removes a worker's requests.
    let broker = imported.connect("broker").await;
    assert!(
        !refused(&broker, |c| publish(c, logs)).await,
        "broker: publish"
    );
    assert_refused(&broker, "broker", |c| consume(c, &logger)).await;
    assert_refused(&broker, "broker", |c| delete(c, &logger)).await;
    assert_refused(&broker, "broker", |c| declare(c, &mail)).await;

    let others = connections.iter().map(|(_, _, c)| c);
    for connection in others.chain([&listener, &broker]) {
        let _ = connection.close(200, "done".into()).await;
    }
    imported.delete();
}
