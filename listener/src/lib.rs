//! # listener
//!
//! The Go original's RabbitMQ consumer, and the same for NATS JetStream. It
//! consumes the durable **event queue** bound to `logs_topic` (`log.INFO`,
//! `log.WARNING`, `log.ERROR`) and, through its durable consumer, the
//! **event stream** of the events published on NATS: each event is stored
//! through the logger and acked only after the logger confirmed it. While
//! the logger is unreachable the event is held and retried with backoff (nothing
//! is lost, nothing spins); an event that can never be stored (not a valid entry,
//! or failing [`Settings::max_failed_attempts`] times) is rejected to the
//! dead-letter queue.
//!
//! AMQP request/reply calls do not pass here: each worker consumes its own
//! request queue (`runtime::amqp::server`), so the AMQP path has the same shape as
//! HTTP, tarpc and gRPC.
//!
//! When RabbitMQ or NATS goes away the listener reconnects with backoff (and
//! declares its topology, or makes sure of its stream, again); unacked events
//! are redelivered, so delivery is at-least-once.
//!
//! ## Layout
//! - [`settings`]: typed settings from environment variables.
//! - [`events`]: storing an event through the logger, retried while it is
//!   away; the events' counts.
//! - [`rabbitmq`]: the RabbitMQ consumer; [`jetstream`]: the JetStream one.
//! - [`startup`]: [`Application`]: health endpoint bound in `build`, runs until stopped.

pub mod events;
pub mod jetstream;
pub mod rabbitmq;
pub mod settings;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
