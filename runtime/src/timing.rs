//! Measuring a worker's call: [`timed`] around the operation, [`dependency`]
//! around each wait on MongoDB, Postgres, bcrypt or SMTP inside it. The result
//! rides on the [`Answer`], and each transport's server puts it on its wire.

use std::{
    cell::Cell,
    future::Future,
    time::{Duration, Instant},
};

use protocol::{Answer, ServerTiming, WorkerError};

tokio::task_local! {
    /// Time spent in dependencies by the call running on this task.
    static DEPENDENCY: Cell<Duration>;
}

/// Runs a worker's operation and, when it answers, puts on the answer how long
/// it took and how much of that went to its dependency.
pub async fn timed(
    operation: impl Future<Output = Result<Answer, WorkerError>>,
) -> Result<Answer, WorkerError> {
    let started = Instant::now();
    let (result, dependency) = DEPENDENCY
        .scope(Cell::new(Duration::ZERO), async {
            let result = operation.await;
            (result, DEPENDENCY.with(Cell::get))
        })
        .await;
    result.map(|mut answer| {
        answer.timing = Some(ServerTiming {
            worker_us: micros(started.elapsed()),
            dependency_us: micros(dependency),
            queue_us: None,
        });
        answer
    })
}

/// Awaits a wait on the worker's dependency (`name`: what it waits for, the
/// name of its span in the call's trace), adding its time to the call's
/// (outside [`timed`] it is just awaited and traced).
pub async fn dependency<F: Future>(name: &'static str, wait: F) -> F::Output {
    let span = tracing::info_span!(
        target: crate::telemetry::CALL_SPANS,
        "dependency",
        otel.name = name,
        otel.kind = "client",
    );
    let started = Instant::now();
    let output = tracing::Instrument::instrument(wait, span).await;
    let _ = DEPENDENCY.try_with(|spent| spent.set(spent.get() + started.elapsed()));
    output
}

/// Now, as microseconds since the Unix epoch (what an AMQP request carries as
/// its send time).
pub fn unix_micros() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map(micros).unwrap_or_default()
}

/// A duration in whole microseconds.
pub fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_dependency_is_part_of_the_worker_time() {
        let answer = timed(async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            dependency("sleep", tokio::time::sleep(Duration::from_millis(20))).await;
            Ok(Answer::new("done", protocol::Data::Log))
        })
        .await
        .expect("answers");
        let timing = answer.timing.expect("timed");
        assert!(timing.dependency_us >= 20_000, "{timing:?}");
        assert!(
            timing.worker_us >= timing.dependency_us + 5_000,
            "{timing:?}"
        );
    }
}
