//! `broker compare`: the comparison of `POST /compare`, run against a broker from
//! the command line, printed as a table, as JSON or as CSV.

mod render;

use std::{io::Write as _, time::Duration};

use anyhow::{Context, bail};
use protocol::{Action, Bus, Call, JsonResponse, Transport, compare::CompareReport};
use serde_json::{Value, json};

pub use render::{CSV_HEADER, render_csv, render_table};

/// Arguments of `broker compare`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// The broker to ask.
    #[arg(long, env = "BROKER_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// The call to repeat: one of the actions (`auth`, `log`, `mail`, `ping`).
    #[arg(long, default_value = "ping")]
    pub action: Action,
    /// How the calls are sent: `closed` loops, an open loop at a fixed `rate`,
    /// or a `sweep` of rates to each transport's knee.
    #[arg(long, value_enum, default_value_t = ModeArg::Closed)]
    pub mode: ModeArg,
    /// `closed`: requests per transport.
    #[arg(long)]
    pub requests: Option<u32>,
    /// `closed`: requests in flight at once; `rate`, `sweep`: the most in flight.
    #[arg(long)]
    pub concurrency: Option<u32>,
    /// `rate`: calls a second per transport.
    #[arg(long)]
    pub rate: Option<u32>,
    /// `rate`: seconds per transport; `sweep`: seconds per step.
    #[arg(long)]
    pub duration: Option<u32>,
    /// `sweep`: the first step's rate (the next ones double it).
    #[arg(long)]
    pub start_rate: Option<u32>,
    /// `sweep`: the highest rate a step may have.
    #[arg(long)]
    pub max_rate: Option<u32>,
    /// `sweep`: the p99 a step must stay within, in milliseconds.
    #[arg(long)]
    pub slo_ms: Option<f64>,
    /// Seconds of uncounted calls before each transport's run (broker default 1;
    /// 0 for auth and mail).
    #[arg(long)]
    pub warmup: Option<f64>,
    /// The message size in bytes (`log`: its data; `ping`: the echoed data).
    #[arg(long, conflicts_with = "sizes")]
    pub payload_bytes: Option<u32>,
    /// Several message sizes, comma-separated: the whole run once per size.
    #[arg(long, value_delimiter = ',')]
    pub sizes: Vec<u32>,
    /// Transports, comma-separated (default: every one).
    #[arg(long, value_delimiter = ',', conflicts_with = "buses")]
    pub transports: Vec<Transport>,
    /// Compare the `log` event instead, on these buses (`rabbitmq`, `nats`,
    /// comma-separated): each one's publish latency and end-to-end latency
    /// (until the logger stored the entry).
    #[arg(long, value_delimiter = ',', value_parser = bus)]
    pub buses: Vec<Bus>,
    /// The action's payload as JSON (default: the protocol's example call of
    /// the action, `protocol::Call::example`: a log entry, the seeded user, a
    /// mail to compare@example.com, the newest stored entries).
    #[arg(long)]
    pub payload: Option<String>,
    /// How to print the report: an aligned table, the report as JSON, or CSV
    /// (one row per transport, with a header row).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// The same as `--format json` (the flag's earlier name).
    #[arg(long, conflicts_with = "format")]
    pub json: bool,
    /// Call the workers straight from this process (their addresses come from the
    /// broker's own settings: `LOGGER_URL`, `AUTH_RPC_ADDR`, …), without the
    /// broker: the difference to a run through the broker is the broker's cost.
    #[arg(long)]
    pub direct: bool,
}

/// `--mode`: the comparison's modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Loops that send their next call when the previous one answered.
    Closed,
    /// An open loop at a fixed rate; latency from each call's planned time.
    Rate,
    /// Rate steps doubling until each transport misses the SLO.
    Sweep,
}

/// How `broker compare` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// An aligned text table.
    Table,
    /// The report as `POST /compare` answers it in `data`, pretty-printed.
    Json,
    /// One row per transport, with a header row.
    Csv,
}

/// `--requests` of a closed comparison when none is given (ping and log).
pub const DEFAULT_REQUESTS: u32 = 200;

/// The `/compare` body these arguments describe.
pub fn request_body(args: &CompareArgs) -> anyhow::Result<Value> {
    let payload: Option<Value> = match &args.payload {
        Some(text) => Some(serde_json::from_str(text).context("--payload is not JSON")?),
        // The protocol's example call of the action: its payload, if it has one.
        None => serde_json::to_value(Call::example(args.action))?
            .get(args.action.as_str())
            .cloned(),
    };
    let mode = match args.mode {
        ModeArg::Closed => "closed",
        ModeArg::Rate => "rate",
        ModeArg::Sweep => "sweep",
    };
    let mut body = json!({"action": args.action, "mode": mode});
    match (args.buses.as_slice(), args.transports.as_slice()) {
        ([], []) => body["transports"] = json!(Transport::ALL),
        ([], named) => body["transports"] = json!(named),
        (buses, _) => body["buses"] = json!(buses),
    }
    // Only what was given: the broker's defaults and bounds hold for the rest
    // (and it names a field that does not apply to the mode).
    let requests = args.requests.or((args.mode == ModeArg::Closed
        && args.action.costly().is_none())
    .then_some(DEFAULT_REQUESTS));
    let numbers = [
        ("requests", requests.map(|v| json!(v))),
        ("concurrency", args.concurrency.map(|v| json!(v))),
        ("rate", args.rate.map(|v| json!(v))),
        ("duration", args.duration.map(|v| json!(v))),
        ("start_rate", args.start_rate.map(|v| json!(v))),
        ("max_rate", args.max_rate.map(|v| json!(v))),
        ("slo_ms", args.slo_ms.map(|v| json!(v))),
        ("warmup", args.warmup.map(|v| json!(v))),
        ("payload_bytes", args.payload_bytes.map(|v| json!(v))),
    ];
    for (name, value) in numbers {
        if let Some(value) = value {
            body[name] = json!(value);
        }
    }
    if !args.sizes.is_empty() {
        body["sizes"] = json!(args.sizes);
    }
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
        let dispatcher = crate::startup::clients(&settings)?.dispatcher();
        let max = Duration::from_secs(settings.compare_max_seconds);
        let observer = crate::compare::observer::Observer::default();
        crate::compare::run(&dispatcher, &comparison, max, &observer).await
    } else {
        through_broker(&args, &body).await?
    };
    let text = match (args.json, args.format) {
        (true, _) | (false, Format::Json) => serde_json::to_string_pretty(&report)? + "\n",
        (false, Format::Table) => render_table(&report),
        (false, Format::Csv) => render_csv(&report)?,
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
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

/// `--buses`: a bus's name.
fn bus(name: &str) -> Result<Bus, String> {
    serde_json::from_value(json!(name)).map_err(|_| format!("{name:?}: expected rabbitmq or nats"))
}
