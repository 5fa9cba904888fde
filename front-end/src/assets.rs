//! The page's assets: every file under `static/` it loads, compiled into the
//! binary, and how each is served (its type, how long a browser keeps it).

use actix_web::{HttpResponse, http::header};

/// The uPlot release in `static/vendor/uplot/` (npm `uplot`, MIT), as a
/// literal for `concat!`.
macro_rules! uplot_version {
    () => {
        "1.6.32"
    };
}
/// The uPlot release the page draws with. Its URLs carry the version, so a
/// browser may keep them for a year: a new release is a new URL.
pub const UPLOT_VERSION: &str = uplot_version!();

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";
/// Our own assets change with the page: an hour, then ask again.
const OURS: &str = "public, max-age=3600";
/// A vendored release under a versioned URL never changes.
pub(crate) const VENDORED: &str = "public, max-age=31536000, immutable";

/// One file compiled into the binary and served at `path`.
pub(crate) struct Asset {
    pub(crate) path: &'static str,
    content_type: &'static str,
    pub(crate) cache: &'static str,
    pub(crate) body: &'static str,
}

/// One file compiled in: `$dir<file>` (beside this crate's `src/`) served at
/// `$url<file>`, with `$cache`.
macro_rules! asset {
    ($dir:expr, $url:expr, $cache:expr, $file:literal, $type:expr) => {
        Asset {
            path: concat!($url, $file),
            content_type: $type,
            cache: $cache,
            body: include_str!(concat!($dir, $file)),
        }
    };
}

/// `static/<file>` at `/static/<file>`.
macro_rules! ours {
    ($file:literal, $type:expr) => {
        asset!("../static/", "/static/", OURS, $file, $type)
    };
}

/// `static/vendor/uplot/<file>` at `/static/vendor/uplot/<version>/<file>`.
macro_rules! uplot {
    ($file:literal, $type:expr) => {
        asset!(
            "../static/vendor/uplot/",
            concat!("/static/vendor/uplot/", uplot_version!(), "/"),
            VENDORED,
            $file,
            $type
        )
    };
}

/// Every asset of the page, in the order `index.html` loads them.
pub(crate) static ASSETS: [Asset; 13] = [
    uplot!("uPlot.min.css", CSS),
    ours!("app.css", CSS),
    ours!("app.js", JS),
    ours!("logs.js", JS),
    uplot!("uPlot.iife.min.js", JS),
    ours!("compare-stream.js", JS),
    ours!("compare-plot.js", JS),
    ours!("compare-live.js", JS),
    ours!("compare-charts.js", JS),
    ours!("compare-files.js", JS),
    ours!("compare-table.js", JS),
    ours!("compare.js", JS),
    uplot!("LICENSE", TEXT),
];

pub(crate) async fn serve(asset: &'static Asset) -> HttpResponse {
    crate::SERVED.with([asset.path], |served| served.increment(1));
    HttpResponse::Ok()
        .content_type(asset.content_type)
        .insert_header((header::CACHE_CONTROL, asset.cache))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(asset.body)
}
