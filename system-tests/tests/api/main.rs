//! The system's tests, through its entry point: one binary that starts the real
//! services in-process (port 0) against real RabbitMQ, Postgres, the Mongo-wire
//! server and the SMTP catcher; every test has its own ports, databases, AMQP
//! namespace and mail recipients. Also here, because they need the whole system:
//! the page in headless Chromium, Caddy in front of it, the deployment files, and
//! the documentation's environment variables.

mod auth;
mod browser;
mod caddy;
mod compare;
mod compare_events;
mod compare_limits;
mod compare_modes;
mod compare_stall;
mod deploy;
mod docs;
mod durability;
mod errors;
mod faults;
mod faults_rabbitmq;
mod fuzz;
mod helpers;
mod log;
mod logs;
mod lull;
mod mail;
mod metrics;
mod nats;
mod nats_faults;
mod openapi;
mod origins;
mod ping;
mod rabbitmq_users;
mod rate_limit;
mod shedding;
mod timing;
mod tokens;
mod traces;
