//! The test page in a real headless Chromium, against the whole stack.
//!
//! Needs Node.js, Debian's `chromium` and `front-end/tests/browser/node_modules`
//! (`npm ci` there); `make -C project test` installs all three.

use std::path::Path;

use testkit::http_url;
use tokio::process::Command;

use crate::helpers::{TestApp, run_to_success, spawn_page};

#[tokio::test]
async fn every_button_and_the_comparison_work_in_chromium() {
    let app = TestApp::spawn().await;
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
        .env("SCREENSHOT", &screenshot);
    run_to_success(&mut browser_test, "node runs (install Node.js)").await;
    assert!(screenshot.exists(), "the page was captured");
    if let Ok(keep) = std::env::var("KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&screenshot, keep);
    }
    let _ = std::fs::remove_file(screenshot);

    page.stop().await;
    app.teardown().await;
}
