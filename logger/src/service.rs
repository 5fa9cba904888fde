//! The logger's one operation, shared by the three transports.

use protocol::LogPayload;

use crate::{error::LoggerError, store::LogStore};

/// The result message of a stored entry on HTTP and tarpc (the original's).
pub const LOGGED: &str = "logged";

/// Validates an entry and stores it; returns once MongoDB acknowledged it.
#[tracing::instrument(skip_all, fields(name = %entry.name))]
pub async fn write_entry(store: &LogStore, entry: LogPayload) -> Result<(), LoggerError> {
    entry.validate().map_err(LoggerError::Invalid)?;
    store.insert(entry).await?;
    Ok(())
}
