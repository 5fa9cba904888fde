//! The OpenAPI description (`broker/openapi/openapi.yaml`) against the running
//! broker, by schemathesis (PyPI; `make -C project test` installs it): every
//! operation, schema-valid and schema-violating bodies, undeclared methods.
//! Answers must match the description, and no 5xx may come from the broker.

use std::path::Path;

use crate::helpers::TestApp;

#[tokio::test]
async fn the_broker_matches_its_openapi_description() {
    let app = TestApp::spawn().await;
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../broker/openapi/openapi.yaml");
    // schemathesis keeps a cache where it runs: not in the source tree.
    let scratch = std::env::temp_dir().join(testkit::unique_name("schemathesis"));
    std::fs::create_dir_all(&scratch).expect("a scratch directory");
    let output = tokio::process::Command::new("schemathesis")
        .current_dir(&scratch)
        .arg("run")
        .arg(&spec)
        .args([
            "--url",
            &app.address,
            "--checks",
            "all",
            "--max-examples",
            "15",
        ])
        .args([
            "--generation-deterministic",
            "--request-timeout",
            "20",
            "--no-color",
        ])
        .env("SCHEMATHESIS_HOOKS", "")
        .output()
        .await
        .expect("schemathesis runs (pip install schemathesis)");
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let _ = std::fs::remove_dir_all(scratch);
    app.teardown().await;
}
