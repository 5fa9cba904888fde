//! The tarpc services. The trait is the contract: the worker implements it and the
//! broker calls the generated client, both from this one definition.

use crate::{LogPayload, WorkerError};

/// The logger over tarpc. The method keeps the Go original's RPC name, `LogInfo`.
#[tarpc::service]
pub trait Logger {
    /// Stores one entry; answers with the result message ("logged") once it is in
    /// MongoDB.
    async fn log_info(entry: LogPayload) -> Result<String, WorkerError>;
}
