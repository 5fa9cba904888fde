//! The trace context of the call a task is serving ([`Current`]): set once by
//! the server that received the call (HTTP, gRPC, tarpc, AMQP), read by every
//! carrier that sends the call on, by the answer (`trace_id`, `traceparent`)
//! and by every log line written while serving it.
//!
//! When spans are exported it is the server span's OpenTelemetry context;
//! when they go nowhere it is all there is: a trace id and an own span id
//! (the next hop's parent), with no `tracing` span made for the call at all,
//! since nothing would read it.

use std::future::Future;

use opentelemetry::trace::{SpanContext, TraceFlags, TraceState};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};

use super::Traceparent;

tokio::task_local! {
    /// The context of the call the task serves.
    static CURRENT: Current;
}

/// A future serving a call in its trace context ([`Current::scope`]).
pub type Scoped<F> = tokio::task::futures::TaskLocalFuture<Current, F>;

/// What a `traceparent` header names: the caller's trace, its span, and
/// whether the caller samples the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parent {
    /// The trace's id (never zero).
    pub trace_id: u128,
    /// The caller's span (never zero).
    pub span_id: u64,
    /// The sampled flag.
    pub sampled: bool,
}

impl Parent {
    /// Parses a `traceparent` (W3C Trace Context): `version-trace_id-parent_id-flags`,
    /// lowercase hex, neither id all zeros, version `ff` invalid; version `00`
    /// exactly 55 characters, a later version at least that, its own parts after
    /// a `-`. What does not parse starts a new trace, as the W3C says.
    pub fn parse(value: &str) -> Option<Self> {
        let text = value.trim().as_bytes();
        if text.len() < 55 || text[2] != b'-' || text[35] != b'-' || text[52] != b'-' {
            return None;
        }
        let version = hex_u8(&text[0..2])?;
        let extended = text.len() > 55;
        if version == 0xff || (version == 0 && extended) || (extended && text[55] != b'-') {
            return None;
        }
        let trace_id =
            u128::from(hex_u64(&text[3..19])?) << 64 | u128::from(hex_u64(&text[19..35])?);
        let span_id = hex_u64(&text[36..52])?;
        let flags = hex_u8(&text[53..55])?;
        (trace_id != 0 && span_id != 0).then_some(Self {
            trace_id,
            span_id,
            sampled: flags & TraceFlags::SAMPLED.to_u8() != 0,
        })
    }
}

/// What a byte is worth as a lowercase hex digit; [`NOT_HEX`] for any other byte.
const HEX_DIGITS: [u8; 256] = {
    let mut digits = [NOT_HEX; 256];
    let mut i = 0;
    while i < 16 {
        digits[b"0123456789abcdef"[i] as usize] = i as u8;
        i += 1;
    }
    digits
};
/// A bit no hex digit's value has.
const NOT_HEX: u8 = 0x10;

/// Up to 16 lowercase hex digits as a number: a table lookup per digit, one
/// check at the end (on every hop, so it is kept cheap).
fn hex_u64(digits: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    let mut seen = 0u8;
    for &digit in digits {
        let nibble = HEX_DIGITS[usize::from(digit)];
        seen |= nibble;
        value = value << 4 | u64::from(nibble & 0x0f);
    }
    (seen & NOT_HEX == 0).then_some(value)
}

fn hex_u8(digits: &[u8]) -> Option<u8> {
    u8::try_from(hex_u64(digits)?).ok()
}

/// Vendors' `tracestate` as the W3C allows it (what does not parse is
/// dropped, as `TraceContextPropagator` drops it), `None` when empty.
pub fn trace_state(value: &str) -> Option<TraceState> {
    let state: TraceState = value.parse().ok()?;
    (!state.header().is_empty()).then_some(state)
}

/// The trace context of the call a task serves: its trace, its own span (the
/// parent of every hop it makes), its flags, its vendors' state.
#[derive(Debug, Clone)]
pub struct Current {
    own: Traceparent,
    trace_id: u128,
    span_id: u64,
    sampled: bool,
    state: Option<Box<str>>,
}

impl Current {
    /// A hop of `parent`'s trace (of a new trace without one) whose spans go
    /// nowhere: a new span id, and "not sampled", which is true.
    pub fn child_of(parent: Option<Parent>, state: Option<&TraceState>) -> Self {
        let ids = RandomIdGenerator::default();
        let trace_id = match parent {
            Some(parent) => parent.trace_id,
            None => u128::from_be_bytes(ids.new_trace_id().to_bytes()),
        };
        let span_id = u64::from_be_bytes(ids.new_span_id().to_bytes());
        Self::new(trace_id, span_id, false, state.map(TraceState::header))
    }

    /// Of an OpenTelemetry span's context (an exported span), if it is valid.
    pub fn of(context: &SpanContext) -> Option<Self> {
        if !context.is_valid() {
            return None;
        }
        let state = context.trace_state().header();
        Some(Self::new(
            u128::from_be_bytes(context.trace_id().to_bytes()),
            u64::from_be_bytes(context.span_id().to_bytes()),
            context.is_sampled(),
            (!state.is_empty()).then_some(state),
        ))
    }

    /// Of the ids a hop received (tarpc's request context: no trace state),
    /// `None` if they are not a trace's.
    pub fn serving(trace_id: u128, span_id: u64, sampled: bool) -> Option<Self> {
        (trace_id != 0 && span_id != 0).then(|| Self::new(trace_id, span_id, sampled, None))
    }

    fn new(trace_id: u128, span_id: u64, sampled: bool, state: Option<String>) -> Self {
        Self {
            own: Traceparent::new(trace_id, span_id, sampled),
            trace_id,
            span_id,
            sampled,
            state: state.map(String::into_boxed_str),
        }
    }

    /// Its `traceparent`: the trace, its own span as the next hop's parent.
    pub fn traceparent(&self) -> &Traceparent {
        &self.own
    }

    /// Its vendors' `tracestate`, if the trace has one.
    pub fn trace_state(&self) -> Option<&str> {
        self.state.as_deref()
    }

    /// The trace id, its own span id and whether it is sampled, as numbers.
    pub fn ids(&self) -> (u128, u64, bool) {
        (self.trace_id, self.span_id, self.sampled)
    }

    /// Runs `future` in this context: what it sends on and logs is of this call.
    pub fn scope<F: Future>(self, future: F) -> Scoped<F> {
        CURRENT.scope(self, future)
    }

    /// Runs `f` in this context, outside a task (tests of what reads it).
    #[cfg(test)]
    pub(crate) fn sync_scope<R>(self, f: impl FnOnce() -> R) -> R {
        CURRENT.sync_scope(self, f)
    }

    /// `f` of the context of the call the task serves, if it serves one.
    pub fn with<R>(f: impl FnOnce(&Current) -> R) -> Option<R> {
        CURRENT.try_with(f).ok()
    }
}

/// `future` in the context of the call the task serves now, for work that
/// outlives the call or runs after its handler returned (a spawned task, a
/// streamed answer): it sends and logs in the same trace.
pub fn carry<F: Future>(future: F) -> impl Future<Output = F::Output> {
    let current = Current::with(Clone::clone);
    async move {
        match current {
            Some(current) => current.scope(future).await,
            None => future.await,
        }
    }
}

#[cfg(test)]
mod tests {
    use opentelemetry::propagation::TextMapPropagator;
    use opentelemetry::trace::TraceContextExt;
    use opentelemetry_sdk::propagation::TraceContextPropagator;

    use super::*;

    /// What the OpenTelemetry propagator reads from `value`.
    fn propagator(value: &str) -> Option<Parent> {
        let headers = std::collections::HashMap::from([("traceparent".to_owned(), value.into())]);
        let context = TraceContextPropagator::new().extract(&headers);
        let span = context.span();
        let read = span.span_context();
        read.is_valid().then(|| Parent {
            trace_id: u128::from_be_bytes(read.trace_id().to_bytes()),
            span_id: u64::from_be_bytes(read.span_id().to_bytes()),
            sampled: read.is_sampled(),
        })
    }

    #[test]
    fn a_traceparent_is_read_as_the_w3c_and_the_propagator_read_it() {
        let valid = [
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
            "00-00000000000000000000000000000001-0000000000000001-09",
            " 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 ",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-later",
        ];
        for value in valid {
            let parsed = Parent::parse(value);
            assert!(parsed.is_some(), "{value}");
            assert_eq!(parsed, propagator(value), "{value}");
        }
        let parsed = Parent::parse(valid[0]).expect("valid");
        assert_eq!(parsed.trace_id, 0x4bf92f3577b34da6a3ce929d0e0e4736);
        assert_eq!(parsed.span_id, 0x00f067aa0ba902b7);
        assert!(parsed.sampled);
        let invalid = [
            "",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0g",
            "00-4bf92f3577b34da6a3ce929d0e0e473x-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bG-01",
            "0:-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-more",
            "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01",
            "00-4bf92f3577b34da6a3ce929d0e0e473--00f067aa0ba902b7-01",
        ];
        for value in invalid {
            assert_eq!(Parent::parse(value), None, "{value}");
            assert_eq!(propagator(value), None, "{value}");
        }
    }

    #[test]
    fn a_hop_keeps_its_parents_trace_with_its_own_span_and_says_not_sampled() {
        let value = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let state = trace_state("vendor=v1").expect("a trace state");
        let hop = Current::child_of(Parent::parse(value), Some(&state));
        let own = hop.traceparent().as_str();
        assert!(
            own.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"),
            "{own}"
        );
        assert!(own.ends_with("-00"), "{own}");
        assert_ne!(&own[36..52], "00f067aa0ba902b7", "its own span");
        assert_eq!(hop.trace_state(), Some("vendor=v1"));
        let root = Current::child_of(None, None);
        assert_ne!(root.ids().0, 0);
        assert_ne!(root.ids().0, hop.ids().0, "a new trace");
        assert_eq!(root.trace_state(), None);
        assert!(trace_state("").is_none());
        assert!(trace_state("not a state").is_none());
    }

    #[tokio::test]
    async fn the_context_is_the_tasks_and_carried_only_where_it_is_carried() {
        let hop = Current::child_of(None, None);
        let id = hop.traceparent().trace_id().to_owned();
        let read = || Current::with(|c| c.traceparent().trace_id().to_owned());
        let (inside, carried, spawned) = hop
            .scope(async {
                let carried = tokio::spawn(carry(async move { read() }));
                let spawned = tokio::spawn(async move { read() });
                (read(), carried.await, spawned.await)
            })
            .await;
        assert_eq!(inside.as_deref(), Some(id.as_str()));
        assert_eq!(carried.expect("ran").as_deref(), Some(id.as_str()));
        assert_eq!(spawned.expect("ran"), None, "not carried");
        assert_eq!(read(), None, "outside the call");
    }
}
