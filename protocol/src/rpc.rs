//! The tarpc service: one method for every worker and every action. The trait
//! is the contract: the runtime serves it for any worker's handler and the
//! broker calls the generated client, both from this one definition. The
//! [`Call`] and its [`Answer`] travel in their binary form (bincode).

use crate::{Answer, Call, WorkerError};

/// A worker over tarpc.
#[tarpc::service]
pub trait WorkerService {
    /// Does the call; answers as every other transport does.
    async fn call(call: Call) -> Result<Answer, WorkerError>;
}
