//! Compiles the `.proto` files once, for every crate of the workspace.
//!
//! `protox` is a protobuf compiler written in Rust, so a fresh machine builds
//! without a `protoc` binary on its PATH.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    if std::env::var_os("CARGO_FEATURE_GRPC").is_none() {
        return Ok(());
    }
    let protos = ["proto/logs.proto", "proto/flexi.proto"];
    let descriptors = protox::compile(protos, ["proto"])?;
    tonic_prost_build::configure()
        .codec_path("crate::grpc::codec::Codec")
        .compile_fds(descriptors)?;
    Ok(())
}
