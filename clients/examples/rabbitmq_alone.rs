//! RabbitMQ alone on this machine: the original's event path without any
//! service, to say how close the services come to the broker's own ceiling.
//!
//! Publishers publish the event as the broker does (this crate's AMQP client:
//! persistent, mandatory, each waiting for its publisher confirm, on a pool of
//! 4 channels) to the durable `logs_topic` exchange; one consumer takes the
//! events from the durable queue with a prefetch and acks them, each on its
//! own or with one `multiple` ack for what has arrived (as the listener does).
//! A namespace of its own, deleted at the end. Prints one JSON line:
//! `{"published","consumed","seconds"}`.
//!
//! ```text
//! cargo run --release -p flexi-clients --features amqp --example rabbitmq_alone -- \
//!     [seconds=10] [publishers=64] [ack_batch=64] [prefetch=128]
//! ```
//! `AMQP_URL`: the RabbitMQ (default `amqp://guest:guest@127.0.0.1:5672/%2f`).
//! `project/bench/bench.py` runs it and reads RabbitMQ's CPU per event.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use flexi_clients::{Request, Sender, amqp::AmqpClient};
use futures::{FutureExt, StreamExt};
use lapin::{
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicQosOptions, ExchangeDeleteOptions,
        QueueDeleteOptions,
    },
    types::FieldTable,
};
use protocol::{Action, Call, amqp::AmqpNames};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let arg = |n: usize, default: u64| {
        let given = std::env::args().nth(n).and_then(|a| a.parse().ok());
        given.unwrap_or(default)
    };
    let (seconds, publishers) = (arg(1, 10), arg(2, 64));
    let (ack_batch, prefetch) = (arg(3, 64).max(1), u16::try_from(arg(4, 128))?);
    let url = std::env::var("AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into());
    let names = AmqpNames::new(&format!("alone{}", std::process::id()));
    let connect = Duration::from_secs(5);
    let client = AmqpClient::new(url.clone(), names.clone(), "rabbitmq-alone", 4, connect);
    let event = Arc::new(Call::example(Action::Log));
    // The first publish declares the topology (as the broker's does).
    client
        .events()
        .send(Request {
            call: Arc::clone(&event),
            deadline: deadline(),
        })
        .await?;

    let consuming = runtime::amqp::connect(&url, "rabbitmq-alone-consumer").await?;
    let channel = consuming.create_channel().await?;
    channel
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let deliveries = channel
        .basic_consume(
            names.logs_queue.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let consumed = Arc::new(AtomicU64::new(0));
    let acking = tokio::spawn(consume(deliveries, ack_batch, Arc::clone(&consumed)));

    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let publishing = (0..publishers).map(|_| {
        let (events, event) = (client.events(), Arc::clone(&event));
        tokio::spawn(async move {
            let mut published = 0;
            while Instant::now() < until {
                let request = Request {
                    call: Arc::clone(&event),
                    deadline: deadline(),
                };
                events.clone().send(request).await?;
                published += 1;
            }
            anyhow::Ok(published)
        })
    });
    let mut published = 1; // the one above
    for task in publishing.collect::<Vec<_>>() {
        published += task.await??;
    }
    let drained = Instant::now() + Duration::from_secs(60);
    while consumed.load(Ordering::Relaxed) < published && Instant::now() < drained {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let elapsed = started.elapsed().as_secs_f64();
    acking.abort();
    let consumed = consumed.load(Ordering::Relaxed);
    for queue in [&names.logs_queue, &names.dead_letter_queue] {
        channel
            .queue_delete(queue.as_str().into(), QueueDeleteOptions::default())
            .await?;
    }
    for exchange in [&names.logs_exchange, &names.dead_letter_exchange] {
        channel
            .exchange_delete(exchange.as_str().into(), ExchangeDeleteOptions::default())
            .await?;
    }
    println!(r#"{{"published":{published},"consumed":{consumed},"seconds":{elapsed:.3}}}"#);
    Ok(())
}

fn deadline() -> tokio::time::Instant {
    tokio::time::Instant::now() + Duration::from_secs(5)
}

/// Takes the deliveries and acks them: each on its own (`ack_batch` 1), or
/// the last of what has arrived (at most `ack_batch`) with `multiple`.
async fn consume(mut deliveries: lapin::Consumer, ack_batch: u64, consumed: Arc<AtomicU64>) {
    while let Some(Ok(first)) = deliveries.next().await {
        let (mut last, mut taken) = (first, 1);
        while taken < ack_batch {
            match deliveries.next().now_or_never() {
                Some(Some(Ok(next))) => (last, taken) = (next, taken + 1),
                _ => break,
            }
        }
        let multiple = ack_batch > 1;
        if last.ack(BasicAckOptions { multiple }).await.is_err() {
            return;
        }
        consumed.fetch_add(taken, Ordering::Relaxed);
    }
}
