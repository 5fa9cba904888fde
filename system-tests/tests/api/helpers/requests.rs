//! The broker's typed requests: a raw `POST`, and `POST /handle` of each action.

use protocol::JsonResponse;
use serde_json::{Value, json};

use super::TestApp;

impl TestApp {
    /// A `POST {path}` to the broker, to finish and send.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{path}", self.address))
    }

    /// `POST {path}` with a raw body.
    pub async fn post_raw(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let response = self
            .post(path)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("broker answers");
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.expect("JSON body");
        (status, body)
    }

    /// `POST /handle` of `action` with its object `payload`, over `transport`
    /// (`None`: the default).
    async fn call(&self, action: &str, payload: Value, transport: Option<&str>) -> (u16, Value) {
        let mut body = json!({"action": action});
        body[action] = payload;
        if let Some(t) = transport {
            body["transport"] = json!(t);
        }
        self.post_raw("/handle", body.to_string()).await
    }

    /// `POST /handle` for a login over `transport` (`None`: the default).
    pub async fn auth(&self, transport: Option<&str>, email: &str, password: &str) -> (u16, Value) {
        let credentials = json!({"email": email, "password": password});
        self.call("auth", credentials, transport).await
    }

    /// `POST /handle` for a mail over `transport` (`None`: the default).
    pub async fn mail(&self, transport: Option<&str>, mail: Value) -> (u16, Value) {
        self.call("mail", mail, transport).await
    }

    /// `POST /handle` for a log entry over `transport` (`None`: the default).
    pub async fn log(
        &self,
        transport: Option<&str>,
        name: &str,
        data: &str,
    ) -> (u16, JsonResponse<Value>) {
        let entry = json!({"name": name, "data": data});
        let (status, body) = self.call("log", entry, transport).await;
        (status, serde_json::from_value(body).expect("contract body"))
    }

    /// [`log`](Self::log)s `count` entries named `name`, one after the other,
    /// with the data `"0"`, `"1"`, …; each must be answered 202.
    pub async fn log_numbered(&self, transport: Option<&str>, name: &str, count: usize) {
        for i in 0..count {
            let (status, body) = self.log(transport, name, &i.to_string()).await;
            assert_eq!(status, 202, "entry {i}: {body:?}");
        }
    }
}

/// Whether an answer's `message` says `text`.
pub fn says(answer: &Value, text: &str) -> bool {
    answer["message"]
        .as_str()
        .is_some_and(|message| message.contains(text))
}
