//! The gRPC services, generated from `proto/*.proto` by `build.rs`.

/// The original `logs.proto`: package `logs`, `LogService.WriteLog`.
#[allow(missing_docs, clippy::all)]
pub mod logs {
    tonic::include_proto!("logs");
}
