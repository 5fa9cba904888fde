//! The broker binary: serve (the default), or `broker compare` against a running
//! broker.

use clap::{Parser, Subcommand};
use flexi_broker::{Application, Settings, cli::CompareArgs};

#[derive(Parser)]
#[command(
    name = "broker",
    about = "Dispatches calls to the workers over HTTP, AMQP, RPC, gRPC or NATS"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    settings: Settings,
}

#[derive(Subcommand)]
enum Command {
    /// Run one call over several transports on a running broker and print the
    /// latency percentiles and throughput of each.
    Compare(CompareArgs),
}

/// jemalloc, configured at build time (`.cargo/config.toml`) to hand freed pages
/// back to the OS within a second: glibc's allocator keeps what a burst of load
/// freed (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Compare(args)) => flexi_broker::cli::run(args, cli.settings).await,
        None => {
            runtime::telemetry::init("broker");
            let shutdown = runtime::shutdown::on_signal();
            let result = Application::build(cli.settings)
                .await?
                .run_until_stopped(shutdown)
                .await;
            runtime::trace::shutdown().await;
            result
        }
    }
}
