//! The closed loop: `concurrency` loops, each sending its next call when the
//! previous one answered, sharing a budget of calls.

use std::{
    cell::{Cell, RefCell},
    time::{Duration, Instant},
};

use super::{Run, stats::Recorder};

/// Runs `calls` calls (at most; until `deadline`) of `run` from its
/// `concurrency` loops. The loops run on this task, so they share the recorder
/// without a lock.
pub async fn run(run: &Run<'_>, calls: u64, deadline: Instant) -> (Recorder, Duration) {
    let recorder = RefCell::new(Recorder::new());
    let budget = Cell::new(calls);
    let started = Instant::now();
    let take = || {
        let left = budget.get();
        let go = left > 0 && Instant::now() < deadline;
        if go {
            budget.set(left - 1);
        }
        go
    };
    let loops = (0..run.comparison.concurrency).map(|_| async {
        while take() {
            let call = run.call_at(Instant::now());
            let dispatched = run.dispatcher.dispatch(&call, run.route).await;
            let micros = runtime::timing::micros(dispatched.elapsed);
            run.observer
                .record(dispatched.result.is_ok().then_some(micros));
            recorder
                .borrow_mut()
                .call(&dispatched.result, micros, micros);
        }
    });
    futures::future::join_all(loops).await;
    (recorder.into_inner(), started.elapsed())
}
