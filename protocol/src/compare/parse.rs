//! Reading a `/compare` body: every field checked and bounded, with a message
//! that names the field.

use std::time::Duration;

use serde::Deserialize;

use super::*;

#[derive(Deserialize, Clone, Copy, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum ModeName {
    #[default]
    Closed,
    Rate,
    Sweep,
}

/// A `/compare` body's fields; any other field must be one a call reads
/// ([`crate::call::WireCall::reads`]: `action`, `transport`, an action's
/// payload), or the body is refused.
#[derive(Deserialize)]
struct RawCompare {
    #[serde(default)]
    mode: ModeName,
    requests: Option<u64>,
    concurrency: Option<u64>,
    transports: Option<Vec<Transport>>,
    buses: Option<Vec<crate::Bus>>,
    rate: Option<u64>,
    duration: Option<u64>,
    start_rate: Option<u64>,
    max_rate: Option<u64>,
    slo_ms: Option<f64>,
    warmup: Option<f64>,
    payload_bytes: Option<u64>,
    sizes: Option<Vec<u64>>,
    /// The call's own fields (read by `Dispatch::parse`), and any unknown one.
    #[serde(flatten)]
    other: std::collections::BTreeMap<String, serde::de::IgnoredAny>,
}

fn bounded(name: &str, value: Option<u64>, default: u64, most: u64) -> Result<u64, RequestError> {
    let value = value.unwrap_or(default);
    if (1..=most).contains(&value) {
        Ok(value)
    } else {
        Err(RequestError::Invalid(format!(
            "{name} must be between 1 and {most}"
        )))
    }
}

fn invalid<T>(message: impl Into<String>) -> Result<T, RequestError> {
    Err(RequestError::Invalid(message.into()))
}

impl Comparison {
    /// Parses and bounds a `/compare` body.
    pub fn parse(body: &[u8]) -> Result<Self, RequestError> {
        // The call is the same body read as a `/handle` one: its `transport` is
        // ignored (`transports` says where to run) but must be a transport.
        let dispatch = crate::Dispatch::parse(body)?;
        let call = dispatch.call;
        let raw: RawCompare =
            serde_json::from_slice(body).map_err(|e| RequestError::malformed(&e))?;
        if let Some(unknown) = raw.other.keys().find(|f| !crate::call::WireCall::reads(f)) {
            let name: String = unknown.chars().take(crate::text::QUOTE_CHARS).collect();
            return Err(RequestError::Malformed(format!("unknown field `{name}`")));
        }
        let action = call.action();
        let costly = action.costly();
        let mode = Self::mode(&raw, costly.is_some())?;
        if let (Some(why), Mode::Rate { .. } | Mode::Closed { .. }) = (costly, mode)
            && mode.planned_calls() > MAX_COSTLY_REQUESTS
        {
            let what = match mode {
                Mode::Closed { .. } => "requests",
                _ => "rate × duration calls",
            };
            return invalid(format!(
                "a comparison of {action} runs at most {MAX_COSTLY_REQUESTS} {what} per transport ({why})"
            ));
        }
        if let (Some(why), Mode::Sweep { .. }) = (costly, mode) {
            return invalid(format!("a comparison of {action} cannot sweep ({why})"));
        }
        let default_concurrency = match mode {
            Mode::Closed { .. } => 10,
            _ => MAX_CONCURRENCY,
        };
        let concurrency = bounded(
            "concurrency",
            raw.concurrency,
            default_concurrency,
            MAX_CONCURRENCY,
        )?;
        let concurrency = match mode {
            Mode::Closed { requests } => concurrency.min(requests.into()),
            _ => concurrency,
        };
        let warmup = raw
            .warmup
            .unwrap_or(if costly.is_some() { 0.0 } else { 1.0 });
        if !(0.0..=MAX_WARMUP_SECONDS).contains(&warmup) {
            return invalid(format!(
                "warmup must be between 0 and {MAX_WARMUP_SECONDS} seconds"
            ));
        }
        if let Some(why) = costly
            && warmup > 0.0
        {
            return invalid(format!(
                "a comparison of {action} has no warm-up ({why}): warmup must be 0"
            ));
        }
        let sizes = Self::sizes(&raw, action)?;
        let buses = Self::buses(&raw, dispatch.bus, action, mode)?;
        let transports = match buses.is_empty() {
            true => Self::transports(raw.transports)?,
            false => Vec::new(),
        };
        let comparison = Comparison {
            call,
            mode,
            concurrency: concurrency as u32,
            warmup: Duration::from_secs_f64(warmup),
            sizes,
            transports,
            buses,
        };
        let calls = mode.calls_per_run(comparison.warmup);
        let bytes = comparison.message_bytes();
        if bytes.saturating_mul(calls) > MAX_RUN_BYTES {
            return invalid(format!(
                "one transport's run (its warm-up included) would send {calls} calls of {bytes} \
                 bytes: at most {} MiB per run (fewer calls or smaller messages)",
                MAX_RUN_BYTES >> 20
            ));
        }
        if let Some(planned) = comparison.planned()
            && planned > MAX_PLANNED
        {
            return invalid(format!(
                "this comparison would run for about {} s: at most {} s",
                planned.as_secs(),
                MAX_PLANNED.as_secs()
            ));
        }
        Ok(comparison)
    }

    fn mode(raw: &RawCompare, costly: bool) -> Result<Mode, RequestError> {
        let not_for = |field: &str, present: bool, mode: &str| {
            if present {
                invalid(format!("{field} does not apply to mode {mode}"))
            } else {
                Ok(())
            }
        };
        match raw.mode {
            ModeName::Closed => {
                not_for("duration", raw.duration.is_some(), "closed")?;
                not_for("rate", raw.rate.is_some(), "closed")?;
                let default = if costly { MAX_COSTLY_REQUESTS } else { 100 };
                let requests = bounded("requests", raw.requests, default, MAX_REQUESTS)?;
                Ok(Mode::Closed {
                    requests: requests as u32,
                })
            }
            ModeName::Rate => {
                not_for("requests", raw.requests.is_some(), "rate")?;
                Ok(Mode::Rate {
                    rate: bounded("rate", raw.rate, 100, MAX_RATE)? as u32,
                    duration: Duration::from_secs(bounded(
                        "duration",
                        raw.duration,
                        5,
                        MAX_RATE_SECONDS,
                    )?),
                })
            }
            ModeName::Sweep => {
                not_for("requests", raw.requests.is_some(), "sweep")?;
                not_for("rate", raw.rate.is_some(), "sweep (it takes start_rate)")?;
                let start_rate = bounded("start_rate", raw.start_rate, 50, MAX_RATE)? as u32;
                let max_rate = bounded("max_rate", raw.max_rate, MAX_RATE, MAX_RATE)? as u32;
                if max_rate < start_rate {
                    return invalid("max_rate must be at least start_rate");
                }
                let slo_ms = raw.slo_ms.unwrap_or(10.0);
                if !(slo_ms > 0.0 && slo_ms <= 60_000.0) {
                    return invalid("slo_ms must be over 0 and at most 60000");
                }
                Ok(Mode::Sweep {
                    start_rate,
                    max_rate,
                    slo_ms,
                    step: Duration::from_secs(bounded(
                        "duration",
                        raw.duration,
                        2,
                        MAX_STEP_SECONDS,
                    )?),
                })
            }
        }
        .and_then(|mode| {
            let sweep = matches!(mode, Mode::Sweep { .. });
            not_for(
                "start_rate",
                raw.start_rate.is_some() && !sweep,
                mode.name(),
            )?;
            not_for("max_rate", raw.max_rate.is_some() && !sweep, mode.name())?;
            not_for("slo_ms", raw.slo_ms.is_some() && !sweep, mode.name())?;
            Ok(mode)
        })
    }

    fn sizes(raw: &RawCompare, action: Action) -> Result<Vec<u32>, RequestError> {
        let sizes = match (&raw.payload_bytes, &raw.sizes) {
            (Some(_), Some(_)) => return invalid("give payload_bytes or sizes, not both"),
            (Some(bytes), None) => vec![*bytes],
            (None, Some(sizes)) if sizes.is_empty() || sizes.len() > MAX_SIZES => {
                return invalid(format!("sizes must name 1 to {MAX_SIZES} sizes"));
            }
            (None, Some(sizes)) => sizes.clone(),
            (None, None) => return Ok(Vec::new()),
        };
        if !action.sized() {
            return invalid(format!(
                "payload_bytes and sizes apply to log and ping, not {action}"
            ));
        }
        if let Some(over) = sizes.iter().find(|bytes| **bytes > MAX_PAYLOAD_BYTES) {
            return invalid(format!(
                "a message size ({over}) must be at most {MAX_PAYLOAD_BYTES} bytes"
            ));
        }
        Ok(sizes.into_iter().map(|bytes| bytes as u32).collect())
    }

    /// An event comparison's buses: `buses`, or the one `bus` names.
    fn buses(
        raw: &RawCompare,
        bus: Option<crate::Bus>,
        action: Action,
        mode: Mode,
    ) -> Result<Vec<crate::Bus>, RequestError> {
        let asked = match (&raw.buses, bus) {
            (None, None) => return Ok(Vec::new()),
            (Some(buses), _) => buses.clone(),
            (None, Some(bus)) => vec![bus],
        };
        if raw.transports.is_some() {
            return invalid("buses compare the log event, transports the calls: give one of them");
        }
        if action != Action::Log {
            return invalid(format!("buses compare the log event, not {action}"));
        }
        if matches!(mode, Mode::Sweep { .. }) {
            return invalid("an event comparison runs in mode closed or rate");
        }
        if mode.planned_calls() > MAX_EVENTS {
            return invalid(format!(
                "an event comparison reads every event back: at most {MAX_EVENTS} per bus"
            ));
        }
        distinct("buses", asked)
    }

    fn transports(asked: Option<Vec<Transport>>) -> Result<Vec<Transport>, RequestError> {
        match asked {
            None => Ok(Transport::ALL.to_vec()),
            Some(asked) => distinct("transports", asked),
        }
    }
}

/// The items of the list `field` in the order asked, each once; not none.
fn distinct<T: PartialEq>(field: &str, asked: Vec<T>) -> Result<Vec<T>, RequestError> {
    let mut items = Vec::new();
    for item in asked {
        if !items.contains(&item) {
            items.push(item);
        }
    }
    if items.is_empty() {
        return invalid(format!("{field} must not be empty"));
    }
    Ok(items)
}
