//! One trace per call over every transport: the broker continues the caller's
//! `traceparent` (or starts a trace), the context travels over HTTP, gRPC,
//! tarpc and AMQP, and the worker's span of the call descends from the broker's.
//! The spans are read back from an OTLP receiver in the test process
//! ([`testkit::Collector`]), where the services export them as they would to Jaeger.

use serde_json::{Value, json};
use testkit::{Collector, ExportedSpan};

use crate::helpers::TestApp;

/// A caller's trace context: a new trace id and the caller's own span id.
struct Caller {
    trace_id: String,
    span_id: String,
}

impl Caller {
    fn new() -> Self {
        let hex = || uuid::Uuid::new_v4().simple().to_string();
        Self {
            trace_id: hex(),
            span_id: hex()[..16].to_owned(),
        }
    }

    fn traceparent(&self) -> String {
        format!("00-{}-{}-01", self.trace_id, self.span_id)
    }
}

/// What the broker answered a traced `POST /handle`.
struct Answered {
    status: u16,
    /// Its `traceparent` header.
    traceparent: Option<String>,
    body: Value,
}

async fn handle(app: &TestApp, body: &Value, traceparent: Option<&str>) -> Answered {
    let mut request = app
        .client
        .post(format!("{}/handle", app.address))
        .json(body);
    if let Some(value) = traceparent {
        request = request.header("traceparent", value);
    }
    let response = request.send().await.expect("the broker answers");
    let traceparent = response
        .headers()
        .get("traceparent")
        .map(|v| v.to_str().expect("ASCII").to_owned());
    Answered {
        status: response.status().as_u16(),
        traceparent,
        body: response.json().await.expect("a JSON body"),
    }
}

/// The `(trace id, span id)` of a `traceparent` header.
fn ids_of(traceparent: &str) -> (String, String) {
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    assert_eq!(parts[0], "00", "{traceparent}");
    assert_eq!(parts[1].len(), 32, "{traceparent}");
    assert_eq!(parts[2].len(), 16, "{traceparent}");
    (parts[1].to_owned(), parts[2].to_owned())
}

/// The worker's span of one call of `action` that came over `transport`.
fn worker_span<'a>(
    spans: &'a [ExportedSpan],
    worker: &str,
    action: &str,
    transport: &str,
) -> Option<&'a ExportedSpan> {
    spans.iter().find(|s| {
        s.name == action
            && s.attribute("worker") == Some(worker)
            && s.attribute("transport") == Some(transport)
    })
}

/// The names of the spans from `span` up to the span `ancestor`, or `None`
/// if the chain of parents (among `spans`) does not reach it.
fn path_up(spans: &[ExportedSpan], span: &ExportedSpan, ancestor: &str) -> Option<Vec<String>> {
    let mut path = vec![span.name.clone()];
    let mut current = span;
    while current.span_id != ancestor {
        current = spans.iter().find(|s| s.span_id == current.parent_span_id)?;
        path.push(current.name.clone());
    }
    Some(path)
}

/// Sends `body` with the caller's context and checks the answer: the trace
/// id in the body, the broker's span (a child of the caller's) in the header.
/// Returns the broker's span id.
async fn traced_call(app: &TestApp, caller: &Caller, body: &Value) -> String {
    let answered = handle(app, body, Some(&caller.traceparent())).await;
    assert_eq!(answered.status, 202, "{}", answered.body);
    assert_eq!(answered.body["trace_id"], json!(caller.trace_id));
    let header = answered.traceparent.expect("a traceparent header");
    let (trace_id, broker_span) = ids_of(&header);
    assert_eq!(trace_id, caller.trace_id);
    assert_ne!(
        broker_span, caller.span_id,
        "the broker's own span, not the caller's"
    );
    broker_span
}

/// The spans of the caller's trace once the worker's span of the call is there
/// and descends from the broker's span; checks the broker's span is a child of
/// the caller's. Returns the spans and the path from the worker's span up.
async fn trace_through(
    collector: &Collector,
    caller: &Caller,
    broker_span: &str,
    (worker, action, transport): (&str, &str, &str),
) -> (Vec<ExportedSpan>, Vec<String>) {
    let reached = |spans: &[ExportedSpan]| {
        let span = worker_span(spans, worker, action, transport)?;
        path_up(spans, span, broker_span)
    };
    let spans = collector
        .trace(&caller.trace_id, |spans| reached(spans).is_some())
        .await;
    let broker = spans.iter().find(|s| s.span_id == broker_span);
    let broker = broker.expect("the broker's span is exported");
    assert_eq!(broker.parent_span_id, caller.span_id, "{broker:?}");
    let path = reached(&spans).expect("complete");
    (spans, path)
}

/// Every action over `transport` reaches its worker's span in the caller's trace.
async fn every_action_is_traced_over(transport: &str) {
    let collector = Collector::install();
    let app = TestApp::spawn().await;
    let mail = json!({"to": "trace@example.com", "subject": "traced", "message": "m"});
    let calls = [
        ("logger", "log", json!({"name": "traced", "data": "d"})),
        (
            "authentication",
            "auth",
            json!({"email": "admin@example.com", "password": "verysecret"}),
        ),
        ("mail", "mail", mail),
    ];
    for (worker, action, payload) in calls {
        let caller = Caller::new();
        let mut body = json!({"action": action, "transport": transport});
        body[action] = payload;
        let broker_span = traced_call(&app, &caller, &body).await;
        let (spans, path) = trace_through(
            collector,
            &caller,
            &broker_span,
            (worker, action, transport),
        )
        .await;
        assert!(path.len() >= 3, "{transport} {action}: {path:?}");
        let broker = spans.iter().find(|s| s.span_id == broker_span);
        let broker = broker.expect("the broker's span is exported");
        // What the request span carries for the trace only (not for log lines).
        let attributes = [
            ("http.request.method", "POST"),
            ("url.path", "/handle"),
            ("http.response.status_code", "202"),
            ("action", action),
            ("transport", transport),
        ];
        for (key, value) in attributes {
            assert_eq!(broker.attribute(key), Some(value), "{key}: {broker:?}");
        }
        if transport == "amqp" {
            for hop in ["AMQP request", "AMQP message"] {
                assert!(path.iter().any(|name| name == hop), "{action}: {path:?}");
            }
        }
        if action == "auth" {
            // The login is logged: authentication → HTTP → logger, same trace.
            let login = worker_span(&spans, worker, action, transport).expect("found");
            let reached = |spans: &[ExportedSpan]| {
                let logged = worker_span(spans, "logger", "log", "http")?;
                path_up(spans, logged, &login.span_id)
            };
            let spans = collector
                .trace(&caller.trace_id, |spans| reached(spans).is_some())
                .await;
            assert!(reached(&spans).is_some());
        }
    }
    app.teardown().await;
}

#[tokio::test]
async fn every_action_over_http_joins_the_callers_trace() {
    every_action_is_traced_over("http").await;
}

#[tokio::test]
async fn every_action_over_amqp_joins_the_callers_trace() {
    every_action_is_traced_over("amqp").await;
}

#[tokio::test]
async fn every_action_over_rpc_joins_the_callers_trace() {
    every_action_is_traced_over("rpc").await;
}

#[tokio::test]
async fn every_action_over_grpc_joins_the_callers_trace() {
    every_action_is_traced_over("grpc").await;
}

#[tokio::test]
async fn the_original_event_is_traced_through_rabbitmq_and_the_listener_to_the_logger() {
    let collector = Collector::install();
    let mut app = TestApp::spawn().await;
    app.start_listener().await;
    let caller = Caller::new();
    let body = json!({"action": "log", "log": {"name": "event", "data": "traced"}});
    let broker_span = traced_call(&app, &caller, &body).await;
    let stored = ("logger", "log", "http");
    let (_, path) = trace_through(collector, &caller, &broker_span, stored).await;
    for hop in ["AMQP publish", "AMQP message"] {
        assert!(
            path.iter().any(|name| name == hop),
            "the broker's publish and the listener's delivery are on the way: {path:?}"
        );
    }
    app.teardown().await;
}

#[tokio::test]
async fn without_a_traceparent_the_broker_starts_a_trace_and_answers_with_it() {
    let collector = Collector::install();
    let app = TestApp::spawn().await;
    let body = json!({"action": "log", "transport": "grpc", "log": {"name": "n", "data": "d"}});
    let answered = handle(&app, &body, None).await;
    assert_eq!(answered.status, 202, "{}", answered.body);
    let header = answered.traceparent.expect("a traceparent header");
    let (trace_id, broker_span) = ids_of(&header);
    assert_eq!(answered.body["trace_id"], json!(trace_id));
    let started = |spans: &[ExportedSpan]| {
        let span = worker_span(spans, "logger", "log", "grpc")?;
        path_up(spans, span, &broker_span)
    };
    let spans = collector.trace(&trace_id, |s| started(s).is_some()).await;
    let broker = spans.iter().find(|s| s.span_id == broker_span);
    assert_eq!(broker.expect("exported").parent_span_id, "", "a root span");
    // An error answer names its trace too.
    let invalid = json!({"action": "log", "transport": "grpc", "log": {"name": "", "data": "d"}});
    let answered = handle(&app, &invalid, None).await;
    assert_eq!(answered.status, 400, "{}", answered.body);
    let (trace_id, _) = ids_of(&answered.traceparent.expect("a traceparent header"));
    assert_eq!(answered.body["trace_id"], json!(trace_id));
    app.teardown().await;
}

/// Without an OTLP endpoint no span is made for a call, yet the caller's trace
/// goes on over every transport: the answer continues it (a span id of its
/// own, "not sampled"), and the worker's log line about the call names it.
#[tokio::test]
async fn without_an_endpoint_the_callers_trace_reaches_the_worker_over_every_transport() {
    let logs = testkit::capture_logs();
    let app = TestApp::spawn().await;
    for transport in ["http", "amqp", "rpc", "grpc"] {
        let caller = Caller::new();
        let login = json!({"email": "admin@example.com", "password": "wrong password"});
        let body = json!({"action": "auth", "transport": transport, "auth": login});
        let answered = handle(&app, &body, Some(&caller.traceparent())).await;
        assert_eq!(answered.status, 401, "{transport}: {}", answered.body);
        assert_eq!(answered.body["trace_id"], json!(caller.trace_id));
        let header = answered.traceparent.expect("a traceparent header");
        let (trace_id, broker_span) = ids_of(&header);
        assert_eq!(trace_id, caller.trace_id, "{transport}");
        assert_ne!(
            broker_span, caller.span_id,
            "{transport}: the broker's own span"
        );
        assert!(
            header.ends_with("-00"),
            "{transport}: not sampled: {header}"
        );
        let rejected = logs.lines_with("rejected a login");
        let of_this_call = rejected
            .iter()
            .any(|l| l["trace_id"] == json!(caller.trace_id));
        assert!(of_this_call, "{transport}: {rejected:#?}");
    }
    app.teardown().await;
}
