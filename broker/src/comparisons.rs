//! What keeps `POST /compare` from being a way to take the system down: one
//! comparison at a time per broker (a second one gets a 429 with `Retry-After`),
//! and a comparison whose client went away stops.
//!
//! actix-web does not cancel a handler when its client disconnects (it only
//! notices when it writes), so the answer is written while the comparison runs:
//! the status and headers at once, then a space every [`HEARTBEAT`] (JSON allows
//! whitespace before a document), then the report. A write to a closed
//! connection fails, actix-web drops the body, and with it the comparison.

use std::{
    convert::Infallible,
    future::Future,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use actix_web::web::Bytes;
use futures::Stream;

/// How often a running comparison writes a space to its client.
pub const HEARTBEAT: Duration = Duration::from_millis(250);

/// The broker's one comparison slot (shared by every actix-web worker).
#[derive(Debug, Default)]
pub struct Comparisons {
    /// When the running comparison ends at the latest, while one runs.
    running_until: Mutex<Option<Instant>>,
}

/// The slot, held while a comparison runs; freed when dropped.
#[derive(Debug)]
pub struct Slot(Arc<Comparisons>);

impl Comparisons {
    /// The slot for a comparison that runs at most `longest`, or the seconds
    /// until the running one ends at the latest (at least 1).
    pub fn try_start(self: &Arc<Self>, longest: Duration) -> Result<Slot, u64> {
        let mut running = self.lock();
        let now = Instant::now();
        if let Some(until) = *running {
            let left = until.saturating_duration_since(now);
            return Err(left.as_secs_f64().ceil().max(1.0) as u64);
        }
        *running = Some(now + longest);
        Ok(Slot(Arc::clone(self)))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Instant>> {
        self.running_until
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        *self.0.lock() = None;
    }
}

/// The body of a comparison's answer: a space at once and every [`HEARTBEAT`]
/// while `run` runs, then what `run` returns. Dropping the stream (the client
/// went away) drops `run`.
pub fn heartbeat_then(
    run: impl Future<Output = Bytes> + 'static,
) -> impl Stream<Item = Result<Bytes, Infallible>> {
    let ticks = tokio::time::interval(HEARTBEAT);
    let run = Some(Box::pin(run));
    futures::stream::unfold((run, ticks), |(run, mut ticks)| async move {
        let mut run = run?;
        tokio::select! {
            body = &mut run => Some((Ok(body), (None, ticks))),
            _ = ticks.tick() => Some((Ok(Bytes::from_static(b" ")), (Some(run), ticks))),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_comparison_at_a_time_and_the_slot_is_free_again_once_dropped() {
        let comparisons = Arc::new(Comparisons::default());
        let slot = comparisons
            .try_start(Duration::from_secs(10))
            .expect("the slot is free");
        let retry_after = comparisons
            .try_start(Duration::from_secs(1))
            .expect_err("one runs");
        assert!((9..=10).contains(&retry_after), "{retry_after}");
        drop(slot);
        assert!(comparisons.try_start(Duration::from_secs(1)).is_ok());
    }

    #[tokio::test]
    async fn the_body_is_spaces_while_it_runs_then_the_report() {
        use futures::StreamExt;
        let run = async {
            tokio::time::sleep(HEARTBEAT * 2 + HEARTBEAT / 2).await;
            Bytes::from_static(b"{}")
        };
        let chunks: Vec<Bytes> = heartbeat_then(run)
            .map(|chunk| chunk.unwrap_or_else(|never| match never {}))
            .collect()
            .await;
        let body: Vec<u8> = chunks.concat();
        assert_eq!(
            body, b"   {}",
            "a space at once and one per heartbeat, then the report"
        );
    }
}
