//! The mail service's tests: a real service on port 0 sending to the SMTP
//! catcher, with an AMQP namespace of its own on the shared RabbitMQ.
//!
//! ## Layout
//! - [`helpers`]: [`helpers::spawn`] a service, and a typed mail call.
//! - [`send`]: every transport delivers; an unreachable SMTP server.
//! - [`lifecycle`]: the binary and SIGTERM.

mod helpers;
mod lifecycle;
mod send;
