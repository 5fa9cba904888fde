//! An OTLP/HTTP receiver run by the test process itself ([`Collector`]): the
//! services' spans are exported to it (OTLP's JSON encoding) exactly as they
//! are to Jaeger, and tests read them back by trace id.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
    time::Duration,
};

use actix_web::{App, HttpResponse, HttpServer, web};
use runtime::trace::{Export, Otlp};
use serde_json::Value;

/// How long [`Collector::trace`] waits for the spans it expects.
pub const TRACE_TIMEOUT: Duration = Duration::from_secs(15);

/// One span as the collector received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedSpan {
    /// Its trace (32 hex digits).
    pub trace_id: String,
    /// Itself (16 hex digits).
    pub span_id: String,
    /// Its parent, empty for a root span.
    pub parent_span_id: String,
    /// Its name (`otel.name` when the span set one).
    pub name: String,
    /// Its attributes, each value as text.
    pub attributes: HashMap<String, String>,
}

impl ExportedSpan {
    /// The attribute `key`, if the span has it.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).map(String::as_str)
    }
}

type Received = Arc<Mutex<Vec<ExportedSpan>>>;

/// The process's receiver, and the spans it got.
pub struct Collector {
    spans: Received,
}

static COLLECTOR: OnceLock<Collector> = OnceLock::new();

impl Collector {
    /// Starts the receiver (once per process, on a thread of its own so it
    /// outlives each test's runtime) and installs the process's subscriber with
    /// its spans exported there.
    ///
    /// # Panics
    ///
    /// If another subscriber was installed first: call it before starting any
    /// service (each test runs in a process of its own under cargo-nextest).
    pub fn install() -> &'static Collector {
        COLLECTOR.get_or_init(|| {
            let spans = Received::default();
            let port = serve(spans.clone());
            let export = Export::Otlp(Otlp {
                url: Some(format!("http://127.0.0.1:{port}/v1/traces")),
                json: true,
                delay: Some(Duration::from_millis(50)),
            });
            let logs = std::env::var_os(runtime::telemetry::ENV_TEST_LOG).map(|_| "info");
            let installed = runtime::telemetry::install("tests", &export, logs.or(Some("off")));
            assert!(
                installed,
                "a subscriber was installed before the collector's: its spans would go nowhere"
            );
            Collector { spans }
        })
    }

    /// The spans of trace `trace_id` once `complete` says they are all there.
    ///
    /// # Panics
    ///
    /// If they are not within [`TRACE_TIMEOUT`], showing what did arrive.
    pub async fn trace(
        &self,
        trace_id: &str,
        complete: impl Fn(&[ExportedSpan]) -> bool,
    ) -> Vec<ExportedSpan> {
        let deadline = tokio::time::Instant::now() + TRACE_TIMEOUT;
        loop {
            let spans: Vec<ExportedSpan> = {
                let all = self.spans.lock().unwrap_or_else(|p| p.into_inner());
                all.iter()
                    .filter(|s| s.trace_id == trace_id)
                    .cloned()
                    .collect()
            };
            if complete(&spans) {
                return spans;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "trace {trace_id} incomplete after {TRACE_TIMEOUT:?}; received:\n{spans:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Serves `POST /v1/traces` on a port of its own; returns the port.
fn serve(spans: Received) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().expect("a local address").port();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let spans = web::Data::new(spans);
            let server = HttpServer::new(move || {
                App::new()
                    .app_data(spans.clone())
                    .app_data(web::PayloadConfig::new(64 * 1024 * 1024))
                    .route("/v1/traces", web::post().to(receive))
            })
            .workers(1)
            .listen(listener)
            .expect("listen")
            .run();
            let _ = server.await;
        });
    });
    port
}

async fn receive(spans: web::Data<Received>, body: web::Bytes) -> HttpResponse {
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return HttpResponse::BadRequest().finish();
    };
    let received = parse(&request);
    spans
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .extend(received);
    HttpResponse::Ok()
        .content_type("application/json")
        .body("{}")
}

/// The spans of an `ExportTraceServiceRequest` in OTLP's JSON encoding.
fn parse(request: &Value) -> Vec<ExportedSpan> {
    let list = |value: &Value, key: &str| value[key].as_array().cloned().unwrap_or_default();
    let mut spans = Vec::new();
    for resource in list(request, "resourceSpans") {
        for scope in list(&resource, "scopeSpans") {
            for span in list(&scope, "spans") {
                let text = |key: &str| span[key].as_str().unwrap_or_default().to_owned();
                let attributes = list(&span, "attributes")
                    .iter()
                    .map(|kv| (text_of(&kv["key"]), value_text(&kv["value"])))
                    .collect();
                spans.push(ExportedSpan {
                    trace_id: text("traceId"),
                    span_id: text("spanId"),
                    parent_span_id: text("parentSpanId"),
                    name: text("name"),
                    attributes,
                });
            }
        }
    }
    spans
}

fn text_of(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_owned()
}

/// An `AnyValue` as text (`{"stringValue": "x"}` → `x`, `{"intValue": 5}` → `5`).
fn value_text(value: &Value) -> String {
    match value.as_object().and_then(|o| o.values().next()) {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => String::new(),
    }
}
