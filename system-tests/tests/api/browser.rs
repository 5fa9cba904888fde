//! The test page in a real headless Chromium, against the whole stack.
//!
//! Needs Node.js, Debian's `chromium` and `front-end/tests/browser/node_modules`
//! (`npm ci` there); `make -C project test` installs all three.

use std::path::Path;

use testkit::http_url;
use tokio::process::Command;

use crate::helpers::{Stack, TestApp, Tuning, run_to_success, spawn_page};

/// Runs `page.test.mjs` against the page of `app` (`TOKENS_REQUIRED` set to
/// `tokens`) and returns the path of its screenshot, if it took one.
async fn run_page_test(app: &TestApp, tokens: bool) -> std::path::PathBuf {
    let (port, page) = spawn_page(|s| s.broker_url = app.address.clone()).await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../front-end/tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "run `npm ci` in {} (make -C project test does)",
        dir.display()
    );
    let screenshot = std::env::temp_dir().join(format!("{}.png", testkit::unique_name("page")));
    let mut browser_test = Command::new("node");
    browser_test
        .current_dir(&dir)
        .args(["--test", "page.test.mjs"])
        .env("PAGE_URL", http_url(port))
        .env("TOKENS_REQUIRED", if tokens { "1" } else { "0" })
        .env("SCREENSHOT", &screenshot);
    run_to_success(&mut browser_test, "node runs (install Node.js)").await;
    page.stop().await;
    screenshot
}

#[tokio::test]
async fn every_button_and_the_comparison_work_in_chromium() {
    let app = TestApp::spawn().await;
    let screenshot = run_page_test(&app, false).await;
    assert!(screenshot.exists(), "the page was captured");
    if let Ok(keep) = std::env::var("KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&screenshot, keep);
    }
    let _ = std::fs::remove_file(screenshot);
    app.teardown().await;
}

#[tokio::test]
async fn where_a_token_is_required_the_page_logs_in_and_sends_it() {
    let stack = Stack {
        listener: false,
        ..Stack::ALL
    };
    let tuning =
        Tuning::default().broker(|s| s.token_required_for = vec!["mail".into(), "compare".into()]);
    let app = TestApp::spawn_tuned(stack, tuning).await;
    run_page_test(&app, true).await;
    app.teardown().await;
}
