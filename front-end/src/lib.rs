//! # front-end
//!
//! The test page of the Go original (Test Broker, Test Auth, Test Log, Test Mail,
//! Test gRPC log; the Output, Sent and Received panes), plus a button for each of
//! the twelve action × transport paths and the comparison view: pick an action,
//! a number of requests and a concurrency, watch the transports run one by one,
//! then read the latency percentiles and throughput as a chart and a table.
//!
//! The page talks to the broker from the browser (`BROKER_URL`, as in the
//! original). Every asset is compiled into the binary and served from here, so
//! the page works offline: no CDN.
//!
//! ## Layout
//! - [`Settings`]: typed settings from environment variables.
//! - [`Application`]: binds in `build`, serves until stopped.
//! - `templates/index.html` (askama), `static/app.js`, `static/compare.js`,
//!   `static/app.css`.

use actix_web::{HttpResponse, http::header, web};
use askama::Template;
use clap::Parser;
use tokio_util::sync::CancellationToken;

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
}

const APP_JS: &str = include_str!("../static/app.js");
const COMPARE_JS: &str = include_str!("../static/compare.js");
const APP_CSS: &str = include_str!("../static/app.css");

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
        let page = IndexPage {
            broker_url: settings.broker_url.trim_end_matches('/'),
        }
        .render()?;
        let page = web::Data::new(page);
        let edge = runtime::limits::Edge::new(&settings.limits);
        let (server, port) = runtime::http::bind_server(
            &settings.http_addr,
            settings.http_workers,
            &edge,
            move |cfg| {
                cfg.app_data(page.clone())
                    .route("/", web::get().to(index))
                    .route("/ping", web::get().to(runtime::http::ping))
                    .route("/static/app.js", web::get().to(|| script(APP_JS)))
                    .route("/static/compare.js", web::get().to(|| script(COMPARE_JS)))
                    .route("/static/app.css", web::get().to(app_css));
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

async fn index(page: web::Data<String>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .body(page.get_ref().clone())
}

async fn script(body: &'static str) -> HttpResponse {
    asset("text/javascript; charset=utf-8", body)
}

async fn app_css() -> HttpResponse {
    asset("text/css; charset=utf-8", APP_CSS)
}

fn asset(content_type: &str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(body)
}
