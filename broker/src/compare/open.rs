//! The open loop of `rate` and `sweep`: each call is sent at its planned time,
//! whatever the earlier ones did, and its latency counts from that time, so a
//! stall counts against every call it held up (no coordinated omission).
//!
//! The plan is kept by a thread of its own sleeping until each planned time
//! (Linux sleeps to within about 60 µs; tokio's timer only to the
//! millisecond), which hands the planned instant to this task. A call leaves
//! as soon as this task takes it, unless `concurrency` calls are in flight:
//! then it waits, and leaves late. Calls planned but not sent, or not answered,
//! [`DRAIN`] after the planned end count as errors.

use std::time::{Duration, Instant};

use futures::{StreamExt, stream::FuturesUnordered};
use protocol::compare::{DRAIN, LATE_AFTER_MS};
use tokio::sync::mpsc;

use super::{Run, stats::Recorder};

/// The instants of `calls` calls at `rate` a second from `start`, sent to
/// `plan` at each one's time, from a thread of its own. It stops when the
/// receiver is gone. Whether the thread started.
fn schedule(start: Instant, rate: u32, calls: u64, plan: mpsc::UnboundedSender<Instant>) -> bool {
    let interval = Duration::from_secs(1) / rate.max(1);
    let scheduler = move || {
        for i in 0..calls {
            let planned = start + interval * u32::try_from(i).unwrap_or(u32::MAX);
            let now = Instant::now();
            if planned > now {
                std::thread::sleep(planned - now);
            }
            if plan.send(planned).is_err() {
                return;
            }
        }
    };
    match std::thread::Builder::new()
        .name("compare-plan".into())
        .spawn(scheduler)
    {
        Ok(_) => true,
        Err(error) => {
            tracing::error!(%error, "the comparison's scheduler thread did not start");
            false
        }
    }
}

/// Sends `calls` calls of `run` at `rate` a second, at most its `concurrency`
/// in flight.
pub async fn run(run: &Run<'_>, rate: u32, calls: u64) -> (Recorder, Duration) {
    let (dispatcher, observer, route) = (run.dispatcher, run.observer, run.route);
    let concurrency = run.comparison.concurrency;
    let mut recorder = Recorder::new();
    let start = Instant::now();
    let (plan, mut planned_calls) = mpsc::unbounded_channel();
    if !schedule(start, rate, calls, plan) {
        recorder.failed(calls, || {
            "the comparison's scheduler thread did not start".into()
        });
        return (recorder, start.elapsed());
    }
    let planned_end = start + Duration::from_secs_f64(calls as f64 / f64::from(rate.max(1)));
    let stop = tokio::time::sleep_until((planned_end + DRAIN).into());
    tokio::pin!(stop);
    let late_after = Duration::from_secs_f64(LATE_AFTER_MS / 1000.0);

    let mut in_flight = FuturesUnordered::new();
    let (mut sent, mut plan_done) = (0_u64, false);
    while !(plan_done && in_flight.is_empty()) {
        tokio::select! {
            biased;
            Some((planned, left, dispatched)) = in_flight.next(), if !in_flight.is_empty() => {
                let dispatched: crate::dispatch::Dispatched = dispatched;
                let service = runtime::timing::micros(dispatched.elapsed);
                let corrected = runtime::timing::micros(left - planned) + service;
                observer.record(dispatched.result.is_ok().then_some(corrected));
                recorder.call(&dispatched.result, corrected, service);
            }
            next = planned_calls.recv(), if !plan_done && in_flight.len() < concurrency as usize => {
                match next {
                    Some(planned) => {
                        let left = Instant::now();
                        if left - planned > late_after {
                            recorder.late += 1;
                        }
                        sent += 1;
                        let call = run.call_at(planned);
                        in_flight.push(async move {
                            (planned, left, dispatcher.dispatch(&call, route).await)
                        });
                    }
                    None => plan_done = true,
                }
            }
            () = &mut stop => {
                let unsent = calls - sent;
                let unanswered = in_flight.len() as u64;
                observer.failed(unsent + unanswered);
                recorder.failed(unsent + unanswered, || format!(
                    "{unsent} planned calls had not left and {unanswered} had not answered \
                     {} s after the run's planned end (the transport did not keep up)",
                    DRAIN.as_secs()
                ));
                break;
            }
        }
    }
    (recorder, start.elapsed())
}
