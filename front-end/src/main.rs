//! The front-end binary: settings from the environment, then the application.

use clap::Parser;
use flexi_front_end::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::telemetry::init("front-end");
    let settings = Settings::parse();
    let shutdown = runtime::shutdown::on_signal();
    Application::build(settings)?
        .run_until_stopped(shutdown)
        .await
}
