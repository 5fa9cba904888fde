//! Workers over gRPC (tonic). Channels connect lazily and reconnect by
//! themselves, so a worker that restarts is reachable again without a restart here.

use std::{error::Error as _, time::Duration};

use protocol::{
    LogPayload, WorkerError,
    grpc::logs::{Log, LogRequest, log_service_client::LogServiceClient},
};
use tonic::transport::{Channel, Endpoint};

use crate::CallError;

/// gRPC URLs of the workers.
#[derive(Debug, Clone)]
pub struct GrpcEndpoints {
    /// The logger, e.g. `http://127.0.0.1:50001`.
    pub logger: String,
}

/// One HTTP/2 channel per worker, shared by every call.
#[derive(Clone)]
pub struct GrpcWorkers {
    logger: LogServiceClient<Channel>,
    timeout: Duration,
}

impl GrpcWorkers {
    /// Lazily connected channels whose calls each take at most `timeout`.
    pub fn new(
        endpoints: &GrpcEndpoints,
        timeout: Duration,
    ) -> Result<Self, tonic::transport::Error> {
        let channel = |url: &str| -> Result<Channel, tonic::transport::Error> {
            Ok(Endpoint::from_shared(url.to_owned())?
                .connect_timeout(timeout)
                .tcp_nodelay(true)
                .http2_keep_alive_interval(Duration::from_secs(30))
                .keep_alive_while_idle(true)
                .connect_lazy())
        };
        Ok(Self {
            logger: LogServiceClient::new(channel(&endpoints.logger)?),
            timeout,
        })
    }

    /// `logs.LogService/WriteLog`; the logger's result message once stored.
    pub async fn log(&self, entry: &LogPayload) -> Result<String, CallError> {
        let request = LogRequest {
            log_entry: Some(Log {
                name: entry.name.clone(),
                data: entry.data.clone(),
            }),
        };
        let mut client = self.logger.clone();
        let call = client.write_log(request);
        match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Err(CallError::Timeout("logger".into())),
            Ok(Ok(response)) => Ok(response.into_inner().result),
            Ok(Err(status)) => Err(classify("logger", &status)),
        }
    }
}

/// A status made by our own transport (it has a source error: connection refused,
/// reset) means the worker was not reached; any other status is the worker's answer.
fn classify(worker: &str, status: &tonic::Status) -> CallError {
    if status.source().is_some() {
        tracing::debug!(worker, %status, "worker unreachable over gRPC");
        CallError::Unreachable(worker.to_owned())
    } else {
        CallError::Worker(WorkerError::from_status(status))
    }
}
