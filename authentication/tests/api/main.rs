//! The authentication service's tests: a real service on port 0 against its own
//! Postgres database and an AMQP namespace of its own on the shared RabbitMQ.
//!
//! ## Layout
//! - [`helpers`]: [`helpers::TestAuth`], its typed requests and clients.
//! - [`login`]: `POST /authenticate`, migrations and seeding, timing.
//! - [`transports`]: tarpc, gRPC and AMQP answer like HTTP.
//! - [`lifecycle`]: the binary and SIGTERM.

mod helpers;
mod lifecycle;
mod login;
mod transports;
