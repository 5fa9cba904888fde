//! The mail binary: settings from the environment, then the application.

use clap::Parser;
use flexi_mail::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    runtime::telemetry::init("mail");
    let settings = Settings::parse();
    let shutdown = runtime::shutdown::on_signal();
    Application::build(settings)
        .await?
        .run_until_stopped(shutdown)
        .await
}
