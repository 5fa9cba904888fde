//! # listener
//!
//! The Go original's RabbitMQ consumer. It consumes the durable **event queue**
//! bound to `logs_topic` (`log.INFO`, `log.WARNING`, `log.ERROR`): each event is
//! stored through the logger and acked only after the logger confirmed it. While
//! the logger is unreachable the event is held and retried with backoff (nothing
//! is lost, nothing spins); an event that can never be stored (not a valid entry,
//! or failing [`Settings::max_failed_attempts`] times) is rejected to the
//! dead-letter queue.
//!
//! AMQP request/reply calls do not pass here: each worker consumes its own
//! request queue (`runtime::amqp::server`), so the AMQP path has the same shape as
//! HTTP, tarpc and gRPC.
//!
//! When RabbitMQ goes away the listener reconnects with backoff and declares its
//! topology again; unacked events are redelivered, so delivery is at-least-once.
//!
//! ## Layout
//! - [`settings`]: typed settings from environment variables.
//! - [`consumer`]: the event consumer.
//! - [`startup`]: [`Application`]: health endpoint bound in `build`, runs until stopped.

pub mod consumer;
pub mod settings;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
