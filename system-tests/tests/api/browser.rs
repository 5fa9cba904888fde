//! The test page in a real headless Chromium, against the whole stack.
//!
//! Needs Node.js, Debian's `chromium` and `front-end/tests/browser/node_modules`
//! (`npm ci` there); `make -C project test` installs all three.

use runtime::service::Service;
use std::{path::Path, process::Command};

use tokio_util::sync::CancellationToken;

use crate::helpers::TestApp;

#[tokio::test]
async fn every_button_and_the_comparison_work_in_chromium() {
    let app = TestApp::spawn().await;
    let mut settings = front_end::Settings::from_env().expect("front-end settings");
    settings.http_addr = "127.0.0.1:0".into();
    settings.broker_url = app.address.clone();
    let page = front_end::Application::build(settings)
        .await
        .expect("front-end builds");
    let url = format!("http://127.0.0.1:{}", page.port());
    let stop = CancellationToken::new();
    let serving = tokio::spawn(page.run_until_stopped(stop.clone()));

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../front-end/tests/browser");
    assert!(
        dir.join("node_modules/playwright-core").exists(),
        "run `npm ci` in {} (make -C project test does)",
        dir.display()
    );
    let screenshot = std::env::temp_dir().join(format!("{}.png", testkit::unique_name("page")));
    let output = tokio::task::spawn_blocking({
        let screenshot = screenshot.clone();
        move || {
            Command::new("node")
                .current_dir(&dir)
                .args(["--test", "page.test.mjs"])
                .env("PAGE_URL", &url)
                .env("SCREENSHOT", &screenshot)
                .output()
                .expect("node runs (install Node.js)")
        }
    })
    .await
    .expect("joined");
    assert!(
        output.status.success(),
        "browser test failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(screenshot.exists(), "the page was captured");
    if let Ok(keep) = std::env::var("KEEP_SCREENSHOT") {
        let _ = std::fs::copy(&screenshot, keep);
    }
    let _ = std::fs::remove_file(screenshot);

    stop.cancel();
    serving.await.expect("no panic").expect("clean exit");
    app.teardown().await;
}
