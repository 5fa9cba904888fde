//! Whether calls are traced in this process and where their spans go: the
//! standard OpenTelemetry variables ([`Export::from_env`]), the
//! `tracing-opentelemetry` layer of the subscriber ([`layer`]) and its last
//! flush ([`shutdown`]).

use std::{
    sync::{
        OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::{
    Resource,
    trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider},
};
use tracing::Span;

/// Env var: `true` turns tracing off (the OpenTelemetry SDK's standard switch).
pub const ENV_SDK_DISABLED: &str = "OTEL_SDK_DISABLED";
/// Env var: where spans are exported (OTLP/HTTP base URL; `/v1/traces` is appended).
pub const ENV_OTLP_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// Env var: the full URL spans are exported to (wins over [`ENV_OTLP_ENDPOINT`]).
pub const ENV_OTLP_TRACES_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
/// Env var: the service name spans carry (default: the service's own name).
pub const ENV_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";

/// What a process does with its spans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Export {
    /// No tracing ([`ENV_SDK_DISABLED`]): no context is read or sent, and answers
    /// carry no trace id.
    Disabled,
    /// Trace context and ids on every call, nothing exported or buffered (no
    /// endpoint set).
    Nowhere,
    /// Batches of spans sent over OTLP/HTTP.
    Otlp(Otlp),
}

/// Where and how spans are sent; what is not said here, the standard
/// `OTEL_EXPORTER_OTLP_*` and `OTEL_BSP_*` variables say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Otlp {
    /// The full URL spans are posted to.
    pub url: Option<String>,
    /// OTLP's JSON encoding instead of the protocol the environment names
    /// (`OTEL_EXPORTER_OTLP_PROTOCOL`, protobuf by default).
    pub json: bool,
    /// The longest a finished span waits to be sent.
    pub delay: Option<Duration>,
}

impl Export {
    /// From the standard OpenTelemetry variables.
    pub fn from_env() -> Self {
        let set = |name| std::env::var(name).is_ok_and(|v| !v.trim().is_empty());
        let disabled = std::env::var(ENV_SDK_DISABLED).is_ok_and(|v| v.trim() == "true");
        if disabled {
            Export::Disabled
        } else if set(ENV_OTLP_ENDPOINT) || set(ENV_OTLP_TRACES_ENDPOINT) {
            Export::Otlp(Otlp::default())
        } else {
            Export::Nowhere
        }
    }
}

/// The process's tracer provider, kept to flush it on shutdown.
static PROVIDER: OnceLock<SdkTracerProvider> = OnceLock::new();
/// Whether the OpenTelemetry layer is installed (nothing to read or write otherwise).
static ENABLED: AtomicBool = AtomicBool::new(false);
/// Whether spans are exported (only ever set: a second subscriber in the same
/// process is not installed, and the first one may export).
static EXPORTED: AtomicBool = AtomicBool::new(false);

/// The OpenTelemetry layer of `service`'s subscriber when spans are exported
/// (`None` otherwise). Marks tracing enabled unless it is [`Export::Disabled`]:
/// install the layer it returns.
pub fn layer<S>(
    service: &'static str,
    export: &Export,
) -> anyhow::Result<
    Option<tracing_opentelemetry::OpenTelemetryLayer<S, opentelemetry_sdk::trace::Tracer>>,
>
where
    S: tracing::Subscriber + for<'span> tracing_subscriber::registry::LookupSpan<'span>,
{
    let otlp = match export {
        Export::Disabled => return Ok(None),
        // Spans that go nowhere are not made: each call keeps its trace and
        // span ids ([`super::Current`]: log lines, answers and the next hop get
        // them) without `tracing` spans for them, or an OpenTelemetry layer.
        Export::Nowhere => {
            ENABLED.store(true, Ordering::Relaxed);
            return Ok(None);
        }
        Export::Otlp(otlp) => otlp,
    };
    let provider = SdkTracerProvider::builder()
        .with_resource(resource(service))
        .with_span_processor(batches(otlp)?);
    EXPORTED.store(true, Ordering::Relaxed);
    let provider = provider.build();
    let tracer = provider.tracer(service);
    // A second service in the same process (tests) shares the first one's.
    let _ = PROVIDER.set(provider);
    ENABLED.store(true, Ordering::Relaxed);
    // Without the time between a span's polls, its thread and its code
    // location: fewer clock reads and attributes per span (the span names say
    // where they are). Without activating each span's OpenTelemetry context on
    // every poll: what reads the context here (our carriers, tarpc) asks the
    // `tracing` span for it.
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_context_activation(false)
        .with_tracked_inactivity(false)
        .with_threads(false)
        .with_location(false);
    Ok(Some(layer))
}

fn resource(service: &'static str) -> Resource {
    let builder = Resource::builder();
    if std::env::var_os(ENV_SERVICE_NAME).is_some() {
        builder.build()
    } else {
        builder.with_service_name(service).build()
    }
}

fn batches(otlp: &Otlp) -> anyhow::Result<BatchSpanProcessor> {
    use opentelemetry_otlp::{Protocol, WithExportConfig};
    let mut exporter = opentelemetry_otlp::SpanExporter::builder().with_http();
    if let Some(url) = &otlp.url {
        exporter = exporter.with_endpoint(url);
    }
    if otlp.json {
        exporter = exporter.with_protocol(Protocol::HttpJson);
    }
    let exporter = exporter.build()?;
    let mut config = BatchConfigBuilder::default();
    if let Some(delay) = otlp.delay {
        config = config.with_scheduled_delay(delay);
    }
    Ok(BatchSpanProcessor::builder(exporter)
        .with_batch_config(config.build())
        .build())
}

/// Sends the spans still waiting and stops exporting (a service's last step;
/// the exporter's blocking I/O runs off the runtime, at most its timeout).
pub async fn shutdown() {
    let Some(provider) = PROVIDER.get() else {
        return;
    };
    let flushed = tokio::task::spawn_blocking(|| provider.shutdown()).await;
    if let Ok(Err(error)) = flushed {
        tracing::warn!(%error, "could not send the last spans");
    }
}

/// Whether calls are traced in this process.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Whether spans leave the process: what only the exported span needs (its
/// attributes, a name made for it) is not worth making otherwise.
pub fn exported() -> bool {
    EXPORTED.load(Ordering::Relaxed)
}

/// The span of a call a server received (`make`) when spans are exported,
/// `Span::none()` otherwise: a span that goes nowhere is not made, the log
/// lines name the call's trace from its context ([`super::Current`]).
pub fn server_span(make: impl FnOnce() -> Span) -> Span {
    if exported() { make() } else { Span::none() }
}
