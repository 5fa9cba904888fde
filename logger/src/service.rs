//! The logger: one [`Handler`] for every action it serves, whatever the
//! transport (the runtime serves it over each).

use protocol::{Answer, Call, Data, LogPayload, PONG, Worker, WorkerError};
use runtime::{
    timing::dependency,
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
    async fn log(&self, entry: LogPayload) -> Result<Answer, WorkerError> {
        dependency("MongoDB insert", self.store.insert(entry)).await?;
        Ok(Answer::new(LOGGED, Data::Log))
    }
}

impl Handler for Logger {
    const WORKER: Worker = Worker::Logger;

    async fn handle(&self, call: Call) -> Result<Answer, WorkerError> {
        match call {
            Call::Log { log } => self.log(log).await,
            // A round trip that touches no database; a payload's data is echoed back.
            Call::Ping { ping } => Ok(Answer::new(PONG, Data::Ping(ping.map(|p| p.data)))),
            Call::Logs { logs } => {
                let page = dependency("MongoDB find", self.store.list(&logs)).await?;
                let message = format!("{} entries", page.entries.len());
                Ok(Answer::new(message, Data::Logs(page)))
            }
            other => Err(not_served(Self::WORKER, &other)),
        }
    }

    async fn health(&self) -> Result<(), WorkerError> {
        Ok(self.store.ping().await?)
    }
}
