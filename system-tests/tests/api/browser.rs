//! The test page in a real headless Chromium, against the whole stack.
//!
//! Needs Node.js, Debian's `chromium` and `front-end/tests/browser/node_modules`
//! (`npm ci` there); `make -C project test` installs all three.

use std::path::{Path, PathBuf};

use testkit::http_url;
use tokio::process::Command;

use crate::helpers::{Stack, TestApp, Tuning, run_to_success, spawn_page};

/// What the browser tests capture: the page after the buttons and the
/// comparison (`page.test.mjs`), and after the Stored logs panel's checks
/// (`logs.test.mjs`).
struct Screenshots {
    page: PathBuf,
    logs: PathBuf,
}

/// Runs every `*.test.mjs` of `front-end/tests/browser` (node's test runner
/// finds them, one file after the other) against the page of `app`
/// (`TOKENS_REQUIRED` set to `tokens`), and says where they put their
/// screenshots, if they took them.
async fn run_page_tests(app: &TestApp, tokens: bool) -> Screenshots {
    let (port, page) = spawn_page(|s| s.broker_url = app.address.clone()).await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../front-end/tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "run `npm ci` in {} (make -C project test does)",
        dir.display()
    );
    let name = testkit::unique_name("page");
    let screenshots = Screenshots {
        page: std::env::temp_dir().join(format!("{name}.png")),
        logs: std::env::temp_dir().join(format!("{name}-logs.png")),
    };
    let mut browser_test = Command::new("node");
    browser_test
        .current_dir(&dir)
        .args(["--test", "--test-concurrency=1"])
        .env("PAGE_URL", http_url(port))
        .env("TOKENS_REQUIRED", if tokens { "1" } else { "0" })
        .env("SCREENSHOT", &screenshots.page)
        .env("SCREENSHOT_LOGS", &screenshots.logs);
    run_to_success(&mut browser_test, "node runs (install Node.js)").await;
    page.stop().await;
    screenshots
}

#[tokio::test]
async fn every_button_the_stored_logs_and_the_comparison_work_in_chromium() {
    let app = TestApp::spawn().await;
    let screenshots = run_page_tests(&app, false).await;
    // KEEP_SCREENSHOT=page.png keeps them: page.png and page-logs.png.
    let keep = std::env::var("KEEP_SCREENSHOT").ok().map(PathBuf::from);
    for (shot, suffix) in [(&screenshots.page, ""), (&screenshots.logs, "-logs")] {
        assert!(shot.exists(), "{} was captured", shot.display());
        if let Some(keep) = &keep {
            let stem = keep.with_extension("");
            let _ = std::fs::copy(shot, format!("{}{suffix}.png", stem.display()));
        }
        let _ = std::fs::remove_file(shot);
    }
    app.teardown().await;
}

#[tokio::test]
async fn where_a_token_is_required_the_page_logs_in_and_sends_it() {
    let stack = Stack {
        listener: false,
        ..Stack::ALL
    };
    let tuning = Tuning::default().broker(|s| {
        s.token_required_for = ["mail", "compare", "logs"].map(String::from).to_vec();
    });
    let app = TestApp::spawn_tuned(stack, tuning).await;
    run_page_tests(&app, true).await;
    app.teardown().await;
}
