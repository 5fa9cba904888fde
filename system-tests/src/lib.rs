//! # flexi-system-tests
//!
//! No code: this crate holds the tests that need every service at once
//! (`tests/api`), so that no service's own crate depends on all the others. They
//! start the real services in-process on port 0 against the real RabbitMQ,
//! Postgres, Mongo-wire server and SMTP catcher, and drive them through the
//! broker, the page (headless Chromium), Caddy and the deployment files.
