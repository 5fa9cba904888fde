//! The `logs` action through the broker: every entry a call stored is found
//! by its call's trace id, over every transport; bad filters are a 400 that
//! names the field; pages follow each other without gaps or repeats.

use std::time::Duration;

use protocol::Transport;
use serde_json::{Value, json};
use testkit::unique_name;

use crate::helpers::TestApp;

impl TestApp {
    /// `POST /handle` `logs` with `query`, over `transport` (`None`: the default).
    pub async fn logs(&self, transport: Option<Transport>, query: Value) -> (u16, Value) {
        let mut body = json!({"action": "logs", "logs": query});
        if let Some(transport) = transport {
            body["transport"] = json!(transport);
        }
        self.post_raw("/handle", body.to_string()).await
    }

    /// The entries `logs` lists for `query` over `transport`, waiting up to
    /// 10 s for at least `count` of them (an event is stored after its 202).
    pub async fn wait_for_entries(
        &self,
        transport: Transport,
        query: Value,
        count: usize,
    ) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let (status, body) = self.logs(Some(transport), query.clone()).await;
            assert_eq!(status, 202, "{body}");
            let entries = body["data"]["entries"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            if entries.len() >= count || tokio::time::Instant::now() > deadline {
                return entries;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn each_entry_is_found_by_its_calls_trace_over_every_transport() {
    let app = TestApp::spawn().await;
    let name = unique_name("traced");
    // A log over each transport, and the original's event.
    let mut writes: Vec<Option<&str>> = Transport::ALL.iter().map(|t| Some(t.as_str())).collect();
    writes.push(None);
    for transport in writes {
        let data = format!("over {transport:?}");
        let (status, answer) = app.log(transport, &name, &data).await;
        assert_eq!(status, 202, "{answer:?}");
        let trace_id = answer.trace_id.expect("the answer names its trace");
        for reader in Transport::ALL {
            let query = json!({"trace_id": trace_id});
            let entries = app.wait_for_entries(reader, query, 1).await;
            assert_eq!(
                entries.len(),
                1,
                "{transport:?} read over {reader}: {entries:?}"
            );
            let entry = &entries[0];
            assert_eq!(
                (entry["name"].as_str(), entry["data"].as_str()),
                (Some(name.as_str()), Some(data.as_str()))
            );
            assert_eq!(entry["trace_id"], json!(trace_id));
            assert!(
                entry["created_at"]
                    .as_str()
                    .is_some_and(|t| t.ends_with('Z')),
                "{entry}"
            );
        }
    }
    app.teardown().await;
}

#[tokio::test]
async fn pages_follow_each_other_newest_first_and_bad_filters_name_their_field() {
    let app = TestApp::spawn().await;
    let name = unique_name("paged");
    app.log_numbered(Some("grpc"), &name, 5).await;
    let mut seen = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let query = json!({"name_prefix": name, "limit": 2, "cursor": cursor});
        let (status, body) = app.logs(Some(Transport::Rpc), query).await;
        assert_eq!(status, 202, "{body}");
        let entries = body["data"]["entries"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        seen.extend(
            entries
                .iter()
                .map(|e| e["data"].as_str().unwrap_or_default().to_owned()),
        );
        cursor = body["data"]["next"].clone();
        if cursor.is_null() {
            break;
        }
    }
    assert_eq!(seen, ["4", "3", "2", "1", "0"]);

    for (query, field) in [
        (json!({"limit": 1000}), "logs.limit"),
        (json!({"trace_id": "not-a-trace"}), "logs.trace_id"),
        (json!({"since": "yesterday"}), "logs.since"),
        (json!({"cursor": "x"}), "logs.cursor"),
    ] {
        let (status, body) = app.logs(None, query.clone()).await;
        assert_eq!(status, 400, "{query}: {body}");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(message.contains(field), "{query}: {message}");
    }
    app.teardown().await;
}
