//! The listener's tests: real RabbitMQ (own namespace), real logger, Mongo-wire.
//!
//! The listener only consumes the Go original's `logs_topic` events; the AMQP
//! request/reply calls it used to carry are served by each worker on its own
//! queue, and tested there (the logger's `amqp` tests).
//!
//! ## Layout
//! - [`helpers`]: [`helpers::Stack`]: a logger and a listener, and a channel to
//!   publish events with.
//! - [`events`]: events stored, poison dead-lettered.
//! - [`batches`]: a batch cut off by a crash, stored in full after the restart.
//! - [`connection`]: the frame size every connection asks RabbitMQ for.
//! - [`lifecycle`]: the binary and SIGTERM.

mod batches;
mod connection;
mod events;
mod helpers;
mod lifecycle;
