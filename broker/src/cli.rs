//! `broker compare`: the comparison of `POST /compare`, run against a broker from
//! the command line, printed as a table, as JSON or as CSV.

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

/// The columns of [`render_csv`], in order.
pub const CSV_HEADER: [&str; 17] = [
    "action",
    "requests",
    "concurrency",
    "transport",
    "ok",
    "errors",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "rps",
    "elapsed_ms",
    "transport_p50_ms",
    "queue_p50_ms",
    "worker_p50_ms",
    "dependency_p50_ms",
    "first_error",
];

/// The report as CSV: [`CSV_HEADER`], then one row per transport, each carrying
/// the run's action, requests and concurrency so rows of several runs can be
/// put together. The parts' medians are empty where the transport has none
/// (no successful call; `queue` outside AMQP).
pub fn render_csv(report: &CompareReport) -> anyhow::Result<String> {
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(CSV_HEADER)?;
    let ms = |value: Option<f64>| value.map(|v| format!("{v:.3}")).unwrap_or_default();
    for r in &report.results {
        let parts = r.breakdown.as_ref();
        csv.write_record([
            report.action.clone(),
            report.requests.to_string(),
            report.concurrency.to_string(),
            r.transport.to_string(),
            r.ok.to_string(),
            r.errors.to_string(),
            ms(Some(r.p50_ms)),
            ms(Some(r.p90_ms)),
            ms(Some(r.p99_ms)),
            ms(Some(r.max_ms)),
            format!("{:.1}", r.rps),
            ms(Some(r.elapsed_ms)),
            ms(parts.map(|b| b.transport.p50_ms)),
            ms(parts.and_then(|b| b.queue).map(|q| q.p50_ms)),
            ms(parts.map(|b| b.worker.p50_ms)),
            ms(parts.map(|b| b.dependency.p50_ms)),
            r.first_error.clone().unwrap_or_default(),
        ])?;
    }
    Ok(String::from_utf8(csv.into_inner()?)?)
}

#[cfg(test)]
mod tests {
    use protocol::{
        Transport,
        compare::{Breakdown, Percentiles, TransportStats},
    };

    use super::*;

    fn stats(transport: Transport, first_error: Option<&str>, queue: bool) -> TransportStats {
        let p = |p50_ms| Percentiles {
            p50_ms,
            p90_ms: p50_ms * 2.0,
            p99_ms: p50_ms * 3.0,
        };
        TransportStats {
            transport,
            ok: 9,
            errors: u64::from(first_error.is_some()),
            p50_ms: 1.25,
            p90_ms: 2.5,
            p99_ms: 4.0,
            max_ms: 5.0,
            rps: 812.34,
            elapsed_ms: 11.0,
            first_error: first_error.map(str::to_owned),
            breakdown: Some(Breakdown {
                transport: p(0.5),
                queue: queue.then(|| p(0.25)),
                worker: p(0.5),
                dependency: p(0.125),
            }),
        }
    }

    #[test]
    fn the_csv_has_a_header_and_one_row_per_transport_with_quoted_errors() {
        let report = CompareReport {
            action: "log".into(),
            requests: 10,
            concurrency: 2,
            results: vec![
                stats(Transport::Http, Some("refused, \"at once\"\nagain"), false),
                stats(Transport::Amqp, None, true),
            ],
        };
        let text = render_csv(&report).expect("written");
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().expect("a header"), CSV_HEADER.as_slice());
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
        assert_eq!(rows.len(), 2, "{text}");
        let column = |row: &csv::StringRecord, name: &str| {
            let i = CSV_HEADER.iter().position(|h| *h == name).expect(name);
            row[i].to_owned()
        };
        assert_eq!(column(&rows[0], "transport"), "http");
        assert_eq!(column(&rows[0], "errors"), "1");
        assert_eq!(column(&rows[0], "p50_ms"), "1.250");
        assert_eq!(column(&rows[0], "rps"), "812.3");
        assert_eq!(
            column(&rows[0], "queue_p50_ms"),
            "",
            "no queue outside AMQP"
        );
        assert_eq!(
            column(&rows[0], "first_error"),
            "refused, \"at once\"\nagain"
        );
        assert_eq!(column(&rows[1], "transport"), "amqp");
        assert_eq!(column(&rows[1], "queue_p50_ms"), "0.250");
        assert_eq!(column(&rows[1], "dependency_p50_ms"), "0.125");
        assert_eq!(column(&rows[1], "action"), "log");
    }
}
