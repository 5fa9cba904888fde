//! `broker compare`: the comparison of `POST /compare`, run against a broker from
//! the command line, printed as a table.

use std::{fmt::Write as _, io::Write as _, time::Duration};

use anyhow::{Context, bail};
use protocol::{JsonResponse, compare::CompareReport};
use serde_json::{Value, json};

/// Arguments of `broker compare`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// The broker to ask.
    #[arg(long, env = "BROKER_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The call to repeat: ping, log, auth or mail.
    #[arg(long, default_value = "ping")]
    pub action: String,
    /// Requests per transport.
    #[arg(long, default_value_t = 200)]
    pub requests: u32,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 10)]
    pub concurrency: u32,
    /// Transports, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "http,amqp,rpc,grpc")]
    pub transports: Vec<String>,
    /// The action's payload as JSON (defaults: a log entry, the seeded user, a
    /// mail to compare@example.com).
    #[arg(long)]
    pub payload: Option<String>,
    /// Print the broker's JSON answer instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Call the workers straight from this process (their addresses come from the
    /// broker's own settings: `LOGGER_URL`, `AUTH_RPC_ADDR`, …), without the
    /// broker: the difference to a run through the broker is the broker's cost.
    #[arg(long)]
    pub direct: bool,
}

/// The `/compare` body these arguments describe.
pub fn request_body(args: &CompareArgs) -> anyhow::Result<Value> {
    let payload: Option<Value> = match &args.payload {
        Some(text) => Some(serde_json::from_str(text).context("--payload is not JSON")?),
        None => match args.action.as_str() {
            "log" => Some(json!({"name": "compare", "data": "from the broker CLI"})),
            "auth" => Some(json!({"email": "admin@example.com", "password": "verysecret"})),
            "mail" => Some(json!({
                "to": "compare@example.com", "subject": "compare", "message": "from the broker CLI"
            })),
            _ => None,
        },
    };
    let mut body = json!({
        "action": args.action,
        "requests": args.requests,
        "concurrency": args.concurrency,
        "transports": args.transports,
    });
    if let Some(payload) = payload {
        body[args.action.as_str()] = payload;
    }
    Ok(body)
}

/// Runs the comparison (through the broker at `--url`, or with `--direct` from
/// this process with clients built from `settings`) and prints it to stdout.
pub async fn run(args: CompareArgs, settings: crate::Settings) -> anyhow::Result<()> {
    let body = request_body(&args)?;
    let report = if args.direct {
        let comparison = protocol::compare::Comparison::parse(&serde_json::to_vec(&body)?)?;
        let dispatcher = crate::startup::dispatcher(&settings)?;
        let max = Duration::from_secs(settings.compare_max_seconds);
        crate::compare::run(&dispatcher, &comparison, max).await
    } else {
        through_broker(&args, &body).await?
    };
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        write!(out, "{}", render_table(&report))?;
    }
    Ok(())
}

async fn through_broker(args: &CompareArgs, body: &Value) -> anyhow::Result<CompareReport> {
    let url = format!("{}/compare", args.url.trim_end_matches('/'));
    let response = reqwest::Client::builder()
        .timeout(Duration::from_secs(30 * 60))
        .build()?
        .post(&url)
        .json(body)
        .send()
        .await
        .with_context(|| format!("cannot reach {url}"))?;
    let status = response.status();
    let answer: JsonResponse<CompareReport> = response
        .json()
        .await
        .context("the broker's answer is not the contract's JSON")?;
    if answer.error {
        bail!("{status}: {}", answer.message);
    }
    answer.data.context("the answer carries no report")
}

/// The report as an aligned text table.
pub fn render_table(report: &CompareReport) -> String {
    let mut table = format!(
        "{} × {} requests, concurrency {}\n\n",
        report.action, report.requests, report.concurrency
    );
    let _ = writeln!(
        table,
        "{:<9} {:>7} {:>7} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "transport", "ok", "errors", "p50 ms", "p90 ms", "p99 ms", "max ms", "req/s"
    );
    for r in &report.results {
        let _ = writeln!(
            table,
            "{:<9} {:>7} {:>7} {:>10.3} {:>10.3} {:>10.3} {:>10.3} {:>10.1}",
            r.transport.as_str(),
            r.ok,
            r.errors,
            r.p50_ms,
            r.p90_ms,
            r.p99_ms,
            r.max_ms,
            r.rps
        );
    }
    for r in report.results.iter().filter(|r| r.first_error.is_some()) {
        let _ = writeln!(
            table,
            "\n{} first error: {}",
            r.transport,
            r.first_error.as_deref().unwrap_or_default()
        );
    }
    table
}
