//! The OpenAPI description (`broker/openapi/openapi.yaml`) against the running
//! broker, by schemathesis (PyPI; `make -C project test` installs it): every
//! operation, schema-valid and schema-violating bodies, undeclared methods.
//! Answers must match the description, and no 5xx may come from the broker.

use std::path::Path;

use tokio::process::Command;

use crate::helpers::{Stack, TestApp, Tuning, run_to_success};

/// What schemathesis is told beyond the description: a schema-valid
/// `/compare` body may still be refused (400) by the bounds that join several
/// of its fields (the planned time of every mode, size and step; calls × size;
/// a field of another mode), which JSON Schema cannot state.
const CONFIG: &str = r#"
[[operations]]
include-name = "POST /compare"
checks.positive_data_acceptance.expected-statuses = [200, 400]
"#;

#[tokio::test]
async fn the_broker_matches_its_openapi_description() {
    // Every comparison schemathesis may send ends well within its request
    // timeout (20 s): longer ones are refused.
    let tuning = Tuning::default().broker(|s| s.compare_max_total_seconds = 15);
    let app = TestApp::spawn_tuned(Stack::ALL, tuning).await;
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../broker/openapi/openapi.yaml");
    // schemathesis keeps a cache where it runs: not in the source tree.
    let scratch = std::env::temp_dir().join(testkit::unique_name("schemathesis"));
    std::fs::create_dir_all(&scratch).expect("a scratch directory");
    std::fs::write(scratch.join("schemathesis.toml"), CONFIG).expect("the config");
    let mut schemathesis = Command::new("schemathesis");
    schemathesis
        .current_dir(&scratch)
        .arg("run")
        .arg(&spec)
        .args(["--url", &app.address, "--checks", "all"])
        .args(["--max-examples", "15", "--generation-deterministic"])
        .args(["--request-timeout", "20", "--no-color"])
        .env("SCHEMATHESIS_HOOKS", "");
    // Fails with schemathesis's report of what it found.
    run_to_success(
        &mut schemathesis,
        "schemathesis runs (pip install schemathesis)",
    )
    .await;
    let _ = std::fs::remove_dir_all(scratch);
    app.teardown().await;
}

/// The description names every action (a request schema each, in
/// `HandleRequest`) and every transport: a new one that the description misses
/// fails here, before schemathesis would never send it.
#[test]
fn the_description_names_every_action_and_transport() {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../broker/openapi/openapi.yaml");
    let text = std::fs::read_to_string(spec).expect("the description");
    let spec: serde_norway::Value = serde_norway::from_str(&text).expect("YAML");
    let schemas = &spec["components"]["schemas"];
    let names = |value: &serde_norway::Value| -> Vec<String> {
        let list = value.as_sequence().cloned().unwrap_or_default();
        list.iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    };
    let requests = schemas["HandleRequest"]["oneOf"]
        .as_sequence()
        .cloned()
        .unwrap_or_default();
    let mut actions = Vec::new();
    for request in requests {
        let reference = request["$ref"].as_str().unwrap_or_default();
        let schema = reference.rsplit('/').next().unwrap_or_default();
        actions.extend(names(&schemas[schema]["properties"]["action"]["enum"]));
    }
    for action in protocol::Action::NAMES {
        assert!(
            actions.iter().any(|a| a == action),
            "no request schema for {action}"
        );
    }
    let transports = names(&schemas["Transport"]["enum"]);
    let requested = names(&schemas["RequestTransport"]["enum"]);
    for transport in protocol::Transport::NAMES {
        assert!(
            transports.iter().any(|t| t == transport),
            "Transport misses {transport}"
        );
        assert!(
            requested.iter().any(|t| t == transport),
            "RequestTransport misses {transport}"
        );
    }
}
