//! The closed loop: `concurrency` loops, each sending its next call when the
//! previous one answered, sharing a budget of calls.

use std::{
    cell::RefCell,
    time::{Duration, Instant},
};

use std::sync::Arc;

use protocol::Call;

use super::{observer::Observer, stats::Recorder};
use crate::dispatch::{Dispatcher, Route};

/// Runs `calls` calls (at most; until `deadline`) from `concurrency` loops.
/// The loops run on this task, so they share the recorder without a lock.
pub async fn run(
    dispatcher: &Dispatcher,
    (call, route): (&Arc<Call>, Route),
    calls: u64,
    concurrency: u32,
    deadline: Instant,
    observer: &Observer,
) -> (Recorder, Duration) {
    let recorder = RefCell::new(Recorder::new());
    let budget = std::cell::Cell::new(calls);
    let started = Instant::now();
    let take = || {
        let left = budget.get();
        let go = left > 0 && Instant::now() < deadline;
        if go {
            budget.set(left - 1);
        }
        go
    };
    let loops = (0..concurrency).map(|_| async {
        while take() {
            let dispatched = dispatcher.dispatch(call, route).await;
            let micros = runtime::timing::micros(dispatched.elapsed);
            observer.record(dispatched.result.is_ok().then_some(micros));
            recorder
                .borrow_mut()
                .call(&dispatched.result, micros, micros);
        }
    });
    futures::future::join_all(loops).await;
    (recorder.into_inner(), started.elapsed())
}
