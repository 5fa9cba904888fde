//! Names and ports no other test uses.
//!
//! Tests share one MongoDB, one RabbitMQ and one Postgres, so each test works
//! under names of its own ([`unique_name`]); a test that needs an address where
//! nothing answers takes a [`closed_port`].

/// A name no other test uses: `prefix_` and 12 random hex digits.
pub fn unique_name(prefix: &str) -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("{prefix}_{}", &id[..12])
}

/// A local port that nothing listens on (bound, read, released).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    listener.local_addr().expect("local addr").port()
}
