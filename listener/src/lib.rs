//! # listener
//!
//! The RabbitMQ side of flexiconnect. It consumes two queues:
//! - the durable **event queue** bound to `logs_topic` (`log.INFO`, `log.WARNING`,
//!   `log.ERROR`): each event is stored through the logger and acked only after the
//!   logger confirmed it. While the logger is unreachable the event is held and
//!   retried with backoff (nothing is lost, nothing spins); an event that can never
//!   be stored (not JSON, invalid, or failing [`Settings::max_failed_attempts`] times)
//!   is rejected to the dead-letter queue.
//! - the **request queue** of the AMQP request/reply path: each call is carried to
//!   the worker and the worker's own answer is published to the caller's `reply_to`
//!   with its `correlation_id`.
//!
//! When RabbitMQ goes away the listener reconnects with backoff and declares its
//! topology again; unacked events are redelivered, so delivery is at-least-once.
//!
//! ## Layout
//! - [`settings`]: typed settings from environment variables.
//! - [`consumer`]: the connection supervisor and the two message handlers.
//! - [`startup`]: [`Application`]: health endpoint bound in `build`, runs until stopped.

pub mod consumer;
pub mod settings;
pub mod startup;

pub use settings::Settings;
pub use startup::Application;
