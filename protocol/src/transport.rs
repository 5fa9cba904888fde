//! The transports a call can travel over between the broker and a worker.

use serde::{Deserialize, Serialize};

/// One of the five ways the broker can reach a worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    /// JSON over HTTP/1.1: the call posted to the worker's `POST /call`.
    Http,
    /// RabbitMQ: request/reply through the worker's own queue (and the original's
    /// event on `logs_topic`).
    Amqp,
    /// tarpc over TCP with bincode framing.
    Rpc,
    /// gRPC (tonic) over HTTP/2.
    Grpc,
    /// NATS request/reply: the call to the worker's subject, answered to the
    /// caller's inbox.
    Nats,
}

impl Transport {
    /// Every transport, in the order the comparison reports them.
    pub const ALL: [Transport; 5] = [
        Transport::Http,
        Transport::Amqp,
        Transport::Rpc,
        Transport::Grpc,
        Transport::Nats,
    ];

    /// The name people write it with (`HTTP`, `gRPC`), for pages and tables.
    pub const fn title(self) -> &'static str {
        match self {
            Transport::Http => "HTTP",
            Transport::Amqp => "AMQP",
            Transport::Rpc => "RPC",
            Transport::Grpc => "gRPC",
            Transport::Nats => "NATS",
        }
    }

    /// The lowercase name used on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Transport::Http => "http",
            Transport::Amqp => "amqp",
            Transport::Rpc => "rpc",
            Transport::Grpc => "grpc",
            Transport::Nats => "nats",
        }
    }
}

crate::listed::named_list!(Transport, UnknownTransport, "transport");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for t in Transport::ALL {
            assert_eq!(t.as_str().parse::<Transport>(), Ok(t));
            assert_eq!(
                serde_json::to_string(&t).expect("serializes"),
                format!("\"{t}\"")
            );
        }
    }

    #[test]
    fn unknown_names_are_rejected() {
        for bad in ["", "HTTP", "smtp", "grpc "] {
            assert!(bad.parse::<Transport>().is_err(), "{bad:?} accepted");
        }
    }
}
