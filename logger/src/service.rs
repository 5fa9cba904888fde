//! The logger's operations, shared by its four transports.

use protocol::{Answer, Call, LogPayload, PONG, PingPayload, Worker, WorkerError};
use runtime::{
    timing::{dependency, timed},
    worker::{Handler, not_served},
};

use crate::store::LogStore;

/// The result message of a stored entry (the original's, on HTTP and tarpc).
pub const LOGGED: &str = "logged";

/// Stores entries; answers pings.
#[derive(Clone)]
pub struct Logger {
    /// The `logs` collection.
    pub store: LogStore,
}

impl Logger {
    /// Stores one entry; answers once MongoDB acknowledged it.
    pub async fn log(&self, entry: LogPayload) -> Result<Answer, WorkerError> {
        timed(async {
            dependency("MongoDB insert", self.store.insert(entry)).await?;
            Ok(Answer::message(LOGGED))
        })
        .await
    }

    /// A round trip that touches no database; a payload's data is echoed back.
    pub async fn ping(payload: Option<PingPayload>) -> Answer {
        let echo = payload.map(|p| p.data);
        let pong = timed(async {
            Ok(Answer {
                echo,
                ..Answer::message(PONG)
            })
        })
        .await;
        // `timed` fails only when its operation does, and this one never does.
        pong.unwrap_or_else(|_| Answer::message(PONG))
    }
}

impl Handler for Logger {
    const WORKER: Worker = Worker::Logger;

    async fn handle(&self, call: Call) -> Result<Answer, WorkerError> {
        match call {
            Call::Log { log } => self.log(log).await,
            Call::Ping { ping } => Ok(Self::ping(ping).await),
            other => Err(not_served(Self::WORKER, &other)),
        }
    }
}
