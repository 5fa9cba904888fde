//! # front-end
//!
//! The test page of the Go original (Test Broker, Test Auth, Test Log, Test Mail,
//! Test gRPC log; the Output, Sent and Received panes), plus a button for each
//! action × transport path, the stored logs and the comparison view. The stored
//! logs panel lists what the logger stored (the `logs` action), filtered by name
//! or by a call's trace id (a click on the trace id under an answer), a page at
//! a time, and follows new entries live. The comparison view: pick an action
//! over transports, or the log event over buses (its end-to-end figures), and
//! a mode (closed, rate or sweep), watch throughput and p99 live while one
//! streamed `/compare` runs, then read the table, the percentile spectrum,
//! latency against throughput (a sweep's knee) and against payload size, and
//! where the time goes; save the run as JSON or CSV, or draw a saved one over it.
//!
//! The page talks to the broker from the browser (`BROKER_URL`, as in the
//! original). Every asset is compiled into the binary and served from here, so
//! the page works offline: no CDN.
//!
//! ## Layout
//! - [`Settings`]: typed settings from environment variables.
//! - [`Application`]: binds in `build`, serves until stopped.
//! - `templates/index.html` (askama), `static/app.css`, `static/app.js` (the
//!   buttons, and the one way to call the broker: `brokerFetch`, which logs in
//!   where a token is asked for), `static/logs.js` (the stored logs panel),
//!   `static/compare*.js` (the comparison: `compare-stream.js` reads
//!   the `/compare` event stream, `compare-plot.js`, `compare-live.js` and
//!   `compare-charts.js` draw with uPlot, `compare-files.js` saves and loads
//!   runs, `compare-table.js` is the results table, `compare.js` the form),
//!   all listed in `ASSETS`.
//! - `static/vendor/uplot/`: uPlot [`UPLOT_VERSION`] (MIT), the chart library.
//! - `tests/browser/`: the page in headless Chromium (`page.test.mjs`,
//!   `logs.test.mjs`), run by `system-tests/tests/api/browser.rs`.

use actix_web::{HttpResponse, http::header, web};
use askama::Template;
use clap::Parser;
use protocol::{Action, Bus, Transport, logs};
use tokio_util::sync::CancellationToken;

mod assets;
pub use assets::UPLOT_VERSION;

/// Env var: address the page is served on.
pub const ENV_HTTP_ADDR: &str = "HTTP_ADDR";
/// Env var: the broker's URL as the browser reaches it.
pub const ENV_BROKER_URL: &str = "BROKER_URL";

/// Everything the front-end needs to run.
#[derive(Debug, Clone, Parser)]
#[command(name = "front-end", about = "Serves the flexiconnect test page")]
pub struct Settings {
    /// Address the page is served on (`GET /`, `/static/*`, `/ping`).
    #[arg(long, env = ENV_HTTP_ADDR, default_value = "127.0.0.1:8081")]
    pub http_addr: String,
    /// What one client may hold of the HTTP server.
    #[command(flatten)]
    pub limits: runtime::limits::Limits,
    /// The broker's URL as the *browser* reaches it (the original's `BROKER_URL`).
    #[arg(long, env = ENV_BROKER_URL, default_value = "http://127.0.0.1:8080")]
    pub broker_url: String,
    /// actix-web worker threads; 0 means one per CPU core.
    #[arg(long, env = "HTTP_WORKERS", default_value_t = 1)]
    pub http_workers: usize,
}

impl Settings {
    /// The settings from the environment and the defaults, without reading the
    /// command line (tests start from this and override what they need).
    pub fn from_env() -> Result<Self, clap::Error> {
        Self::try_parse_from(["front-end"])
    }
}

/// The page.
#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage<'a> {
    broker_url: &'a str,
    /// Every action (the grid's rows, the comparison's choices).
    actions: &'static [&'static str],
    /// Every transport (the grid's columns, the comparison's choices).
    transports: &'static [Transport],
    /// The stored logs panel's page size until changed (the protocol's default).
    logs_default_limit: u32,
    /// The largest page the panel may ask for.
    logs_max_limit: u32,
    /// Every action's name and whether a comparison of it is kept small
    /// (costly: at most `max_costly` calls per transport, no warm-up).
    costs: Vec<(&'static str, bool)>,
    /// The most calls per transport of a costly comparison.
    max_costly: u64,
    /// Every bus the log event can be compared on (the comparison's other
    /// choice).
    buses: &'static [Bus],
}

impl<'a> IndexPage<'a> {
    fn new(broker_url: &'a str) -> Self {
        Self {
            broker_url,
            actions: &Action::NAMES,
            transports: &Transport::ALL,
            logs_default_limit: logs::DEFAULT_LIMIT,
            logs_max_limit: logs::MAX_LIMIT,
            costs: Action::ALL
                .map(|a| (a.as_str(), a.costly().is_some()))
                .to_vec(),
            max_costly: protocol::compare::MAX_COSTLY_REQUESTS,
            buses: &Bus::ALL,
        }
    }
}

/// The front-end, bound and ready to serve.
pub struct Application {
    server: actix_web::dev::Server,
    port: u16,
}

impl Application {
    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl runtime::service::Service for Application {
    type Settings = Settings;
    type Ports = u16;
    const NAME: &'static str = "front-end";

    /// Renders the page once and binds the port.
    async fn build(settings: Settings) -> anyhow::Result<Self> {
        let page = IndexPage::new(settings.broker_url.trim_end_matches('/')).render()?;
        let page = web::Data::new(page);
        let edge = runtime::limits::Edge::new(&settings.limits);
        let (server, port) = runtime::http::bind_server(
            &settings.http_addr,
            settings.http_workers,
            &edge,
            move |cfg| {
                cfg.app_data(page.clone())
                    .route("/", web::get().to(index))
                    .route("/ping", web::get().to(runtime::http::ping));
                for asset in &assets::ASSETS {
                    cfg.route(asset.path, web::get().to(move || assets::serve(asset)));
                }
            },
        )?;
        tracing::info!(port, broker = %settings.broker_url, "front-end bound");
        Ok(Self { server, port })
    }

    fn ports(&self) -> u16 {
        self.port
    }

    /// Serves until `shutdown` is cancelled.
    async fn run_until_stopped(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        runtime::http::serve_until(self.server, shutdown).await?;
        Ok(())
    }
}

/// Pages and assets served, by `path` (`/`, `/static/app.js`, …).
pub const PAGES_SERVED: &str = "flexi_front_end_served_total";

/// The handles of [`PAGES_SERVED`] (a fixed set of paths: the page and its assets).
pub(crate) static SERVED: runtime::metrics::Handles<metrics::Counter, 1> =
    runtime::metrics::Handles::new(|[path]| metrics::counter!(PAGES_SERVED, "path" => path));

async fn index(page: web::Data<String>) -> HttpResponse {
    SERVED.with(["/"], |served| served.increment(1));
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(page.get_ref().clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use assets::{ASSETS, VENDORED};

    /// The grid has a button for every action over every transport, and the
    /// comparison offers every action and transport: both come from the
    /// protocol's lists.
    #[test]
    fn the_page_offers_every_action_over_every_transport() {
        let page = IndexPage::new("http://broker").render().expect("renders");
        for action in Action::ALL {
            assert!(
                page.contains(&format!(r#"<option value="{action}""#)),
                "{action}"
            );
            for transport in Transport::ALL {
                let button = format!(r#"id="btn-{action}-{transport}""#);
                assert!(page.contains(&button), "{button}");
            }
        }
        for transport in Transport::ALL {
            assert!(
                page.contains(&format!(r#"id="cmpT-{transport}""#)),
                "{transport}"
            );
        }
        for bus in Bus::ALL {
            let choice = format!(
                r#"id="cmpB-{}" data-transport="{}""#,
                bus.as_str(),
                bus.transport()
            );
            assert!(page.contains(&choice), "{choice}");
        }
    }

    /// Every script and stylesheet the page names is served, and every vendored
    /// URL carries the vendored version.
    #[test]
    fn the_page_loads_only_served_assets() {
        let page = IndexPage::new("http://broker")
            .render()
            .expect("the page renders");
        let named: Vec<&str> = page
            .split(['"', '\''])
            .filter(|s| s.starts_with("/static/"))
            .collect();
        assert!(named.len() >= 9, "{named:?}");
        for path in named {
            assert!(
                ASSETS.iter().any(|a| a.path == path),
                "{path} is not served"
            );
        }
        for asset in ASSETS.iter().filter(|a| a.path.contains("/vendor/")) {
            assert!(asset.path.contains(UPLOT_VERSION), "{}", asset.path);
            assert_eq!(asset.cache, VENDORED);
        }
        let uplot = ASSETS
            .iter()
            .find(|a| a.path.ends_with("/uPlot.iife.min.js"));
        let header = format!("(v{UPLOT_VERSION})");
        assert!(
            uplot.is_some_and(|a| a.body.contains(&header)),
            "the vendored file is that release"
        );
    }
}
