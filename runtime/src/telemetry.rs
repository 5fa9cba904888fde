//! One `tracing` subscriber setup for every service.

use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// Environment variable choosing the log format: `json` or `pretty` (default).
pub const ENV_LOG_FORMAT: &str = "LOG_FORMAT";

/// Env var: set (to anything) to see the services' logs while tests run.
pub const ENV_TEST_LOG: &str = "TEST_LOG";

/// For tests: installs the subscriber only when `TEST_LOG` is set, so a passing
/// run stays quiet and a failing one can be re-run with logs.
pub fn init_for_tests() {
    if std::env::var_os(ENV_TEST_LOG).is_some() {
        init("tests");
    }
}

/// Installs the global subscriber: filter from `RUST_LOG` (default `info`), format
/// from `LOG_FORMAT`. Calling it again (as tests do) is harmless.
pub fn init(service: &'static str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var(ENV_LOG_FORMAT).is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = if json {
        registry
            .with(fmt::layer().json().with_current_span(false))
            .try_init()
    } else {
        registry.with(fmt::layer().with_target(false)).try_init()
    };
    if result.is_ok() {
        tracing::info!(service, "telemetry initialised");
    }
}
