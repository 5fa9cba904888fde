//! The queues and exchanges of the contract: the event topology the broker
//! and the listener both declare, a worker's request queue, a caller's reply
//! queue.

use lapin::{
    Channel, Consumer, ExchangeKind,
    options::{BasicConsumeOptions, ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions},
    types::{AMQPValue, FieldTable},
};
use protocol::amqp::{AmqpNames, LOG_ROUTING_KEYS};

/// Declares the durable `logs_topic` exchange, the listener's durable queue bound
/// to every severity, and the dead-letter exchange and queue behind it.
pub async fn declare_event_topology(channel: &Channel, names: &AmqpNames) -> lapin::Result<()> {
    let durable_exchange = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    let durable_queue = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    for (exchange, kind) in [
        (&names.logs_exchange, ExchangeKind::Topic),
        (&names.dead_letter_exchange, ExchangeKind::Fanout),
    ] {
        let options = durable_exchange;
        let arguments = FieldTable::default();
        channel
            .exchange_declare(exchange.as_str().into(), kind, options, arguments)
            .await?;
    }
    channel
        .queue_declare(
            names.dead_letter_queue.as_str().into(),
            durable_queue,
            FieldTable::default(),
        )
        .await?;
    channel
        .queue_bind(
            names.dead_letter_queue.as_str().into(),
            names.dead_letter_exchange.as_str().into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;

    let mut arguments = FieldTable::default();
    arguments.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(names.dead_letter_exchange.as_str().into()),
    );
    channel
        .queue_declare(names.logs_queue.as_str().into(), durable_queue, arguments)
        .await?;
    for key in LOG_ROUTING_KEYS {
        channel
            .queue_bind(
                names.logs_queue.as_str().into(),
                names.logs_exchange.as_str().into(),
                key.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
    }
    Ok(())
}

/// Declares a worker's request/reply queue. It is not durable and is deleted
/// when its last consumer goes, so a broker publishing with `mandatory` learns at
/// once that no worker is there (and answers 503 instead of waiting).
pub async fn declare_request_queue(channel: &Channel, queue: &str) -> lapin::Result<()> {
    channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                auto_delete: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    Ok(())
}

/// Declares a caller's reply queue, named by RabbitMQ, exclusive to its
/// connection and deleted with it (or when its consumer goes), and consumes it
/// without acks: each reply is read once, by the call waiting for it. Returns
/// the queue's name (for `reply_to`) and the replies.
pub async fn declare_reply_queue(channel: &Channel) -> lapin::Result<(String, Consumer)> {
    let exclusive = QueueDeclareOptions {
        exclusive: true,
        auto_delete: true,
        ..QueueDeclareOptions::default()
    };
    let queue = channel
        .queue_declare("".into(), exclusive, FieldTable::default())
        .await?
        .name()
        .to_string();
    let no_ack = BasicConsumeOptions {
        no_ack: true,
        ..BasicConsumeOptions::default()
    };
    let replies = channel
        .basic_consume(
            queue.as_str().into(),
            "".into(),
            no_ack,
            FieldTable::default(),
        )
        .await?;
    Ok((queue, replies))
}
