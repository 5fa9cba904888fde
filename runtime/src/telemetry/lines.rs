//! The text of a log line: the `trace_id` of the call it was written for
//! ([`WithTraceId`]), and pretty lines' fields without the `otel.*` ones
//! ([`LineFields`]).

use tracing::field::{Field, Visit};
use tracing_subscriber::{
    field::{MakeVisitor, VisitFmt, VisitOutput},
    fmt::{self, FmtContext, FormatEvent, FormatFields, format::Writer},
    registry::LookupSpan,
};

/// A log line's format with the `trace_id` of the call being served added
/// ([`crate::trace::Current`]): at the end of a pretty line
/// (`trace_id=…`), as a top-level key of a JSON one. Lines written outside a
/// call are the inner format's.
pub struct WithTraceId<F> {
    inner: F,
    json: bool,
}

impl<F> WithTraceId<F> {
    pub(super) fn pretty(inner: F) -> Self {
        Self { inner, json: false }
    }

    pub(super) fn json(inner: F) -> Self {
        Self { inner, json: true }
    }
}

impl<S, N, F> FormatEvent<S, N> for WithTraceId<F>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span>,
    N: for<'writer> FormatFields<'writer> + 'static,
    F: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let Some(own) = crate::trace::Current::with(|current| *current.traceparent()) else {
            return self.inner.format_event(ctx, writer, event);
        };
        let trace_id = own.trace_id();
        let mut line = String::new();
        self.inner
            .format_event(ctx, Writer::new(&mut line), event)?;
        let line = line.strip_suffix('\n').unwrap_or(&line);
        match line.strip_suffix('}') {
            Some(object) if self.json => writeln!(writer, "{object},\"trace_id\":\"{trace_id}\"}}"),
            _ => writeln!(writer, "{line} trace_id={trace_id}"),
        }
    }
}

/// The fields of pretty log lines: tracing-subscriber's default format without
/// the `otel.*` fields, which only tell the OpenTelemetry layer a span's name
/// and kind (and would be formatted into every span's text for nothing).
pub(super) struct LineFields;

impl<'a> MakeVisitor<Writer<'a>> for LineFields {
    type Visitor = WithoutOtel<fmt::format::DefaultVisitor<'a>>;

    fn make_visitor(&self, target: Writer<'a>) -> Self::Visitor {
        WithoutOtel(fmt::format::DefaultFields::new().make_visitor(target))
    }
}

/// A visitor that passes every field but the `otel.*` ones on to `V`.
pub struct WithoutOtel<V>(V);

fn otel_only(field: &Field) -> bool {
    field.name().starts_with("otel.")
}

impl<V: Visit> Visit for WithoutOtel<V> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !otel_only(field) {
            self.0.record_debug(field, value);
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if !otel_only(field) {
            self.0.record_str(field, value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        if !otel_only(field) {
            self.0.record_error(field, value);
        }
    }
}

impl<V: VisitOutput<std::fmt::Result>> VisitOutput<std::fmt::Result> for WithoutOtel<V> {
    fn finish(self) -> std::fmt::Result {
        self.0.finish()
    }
}

impl<V: VisitFmt> VisitFmt for WithoutOtel<V> {
    fn writer(&mut self) -> &mut dyn std::fmt::Write {
        self.0.writer()
    }
}
