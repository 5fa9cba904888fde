//! The logger's tests: a real logger on port 0 against the Mongo-wire server and
//! the shared RabbitMQ (an AMQP namespace of its own), called over each of its
//! four transports.
//!
//! ## Layout
//! - [`helpers`]: [`helpers::TestLogger`], its typed requests and clients.
//! - [`http`]: the HTTP API (`POST /log`, `GET /logs`, ping, health, errors).
//! - [`batch`]: `POST /call` with an array: several calls in one request.
//! - [`transports`]: tarpc and gRPC, and invalid entries on every transport.
//! - [`echo`]: a ping's data echoed back over the four transports.
//! - [`amqp`]: request/reply on the logger's own queue (moved from the listener).
//! - [`lifecycle`]: the binary and SIGTERM.
//! - [`limits`], [`limits_grpc`]: requests held open by hostile clients, on
//!   the binary (its memory is measured).

mod amqp;
mod batch;
mod echo;
mod helpers;
mod http;
mod lifecycle;
mod limits;
mod limits_grpc;
mod transports;
