//! The broker's tests: one binary, real logger, listener, RabbitMQ and Mongo-wire
//! server; every test its own ports, database and AMQP namespace.

mod auth;
mod browser;
mod compare;
mod durability;
mod errors;
mod helpers;
mod log;
mod mail;
mod ping;
