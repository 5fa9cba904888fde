//! # flexi-testkit
//!
//! Helpers for tests that talk to real dependencies. Every test gets its own
//! names (a MongoDB database, an AMQP namespace) on the shared servers, and its
//! services bind port 0, so tests run in parallel without seeing each other.
//!
//! The servers are found through `TEST_MONGO_URL`, `TEST_AMQP_URL`,
//! `TEST_NATS_URL`, `TEST_DATABASE_URL`, `TEST_SMTP_ADDR` and
//! `TEST_MAILDEV_URL` (defaults: the local stack's). `make -C project test` starts them when they are not running.
//!
//! ## Layout
//!
//! Each helper is written once, in the module of its concern, and re-exported
//! here, so tests write `testkit::TestMongo`, `testkit::Running`, ...
//!
//! - [`names`]: [`unique_name`], [`closed_port`].
//! - [`service`]: a service on the test's runtime: [`Running`] (build, spawn,
//!   stop, join), [`wait_until_healthy`], the addresses [`local`] and [`http_url`].
//! - [`worker`]: a worker on port 0 with an AMQP namespace of its own
//!   ([`TestWorker`], [`serve_on_any_port`]) and its typed clients, and where a
//!   worker listens ([`WorkerAddrs`]).
//! - [`process`]: a service's binary as a child process: [`start_and_terminate`],
//!   [`assert_exits_0_on_sigterm`].
//! - [`mongo`]: [`TestMongo`], [`mongo_url`], [`log_filter`], [`filter!`].
//! - [`postgres`]: [`TestPostgres`], [`database_url`].
//! - [`amqp`]: [`TestAmqp`], [`amqp_url`]: a namespace of its own, which NATS
//!   shares ([`nats`]: the settings, a worker served, the event stream deleted).
//! - [`smtp`]: [`smtp_addr`], [`MailCatcher`] and the [`CaughtMail`] it reads.
//! - [`proxy`]: [`TcpProxy`], to cut one test off from a shared server.
//! - [`logs`]: [`capture_logs`] and its [`LogCapture`].
//! - [`otlp`]: [`Collector`], an OTLP receiver the services' spans are exported to.

pub mod amqp;
pub mod hostile;
pub mod logs;
pub mod mongo;
pub mod names;
pub mod nats;
pub mod otlp;
pub mod postgres;
pub mod process;
pub mod proxy;
pub mod service;
pub mod smtp;
pub mod worker;

pub use amqp::{ENV_TEST_AMQP_URL, TestAmqp, amqp_url};
pub use logs::{LogCapture, capture_logs};
pub use mongo::{ENV_TEST_MONGO_URL, TestMongo, filter, log_filter, mongo_url};
pub use names::{closed_port, unique_name};
pub use otlp::{Collector, ExportedSpan};
pub use postgres::{ENV_TEST_DATABASE_URL, TestPostgres, database_url};
pub use process::{Binary, assert_exits_0_on_sigterm, binary, start_and_terminate};
pub use proxy::TcpProxy;
pub use service::{Running, http_url, local, wait_until_healthy};
pub use smtp::{
    CaughtAddress, CaughtMail, ENV_TEST_MAILDEV_URL, ENV_TEST_SMTP_ADDR, MailCatcher, smtp_addr,
};
pub use worker::{TestClient, TestWorker, WorkerAddrs, serve_on_any_port};
