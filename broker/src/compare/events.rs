//! An event comparison (a `log` published as the Go original's event, on
//! each bus): each event is named after its run, its number and its send
//! time (its planned time in `rate`), `compare.<run>.<n>.<µs since the epoch>`,
//! so that, once the run is done, the entries the listener stored are read
//! back through the `logs` action and each one's end-to-end time is its
//! `created_at` (the logger's insert) less that send time.

use std::{
    cell::{Cell, RefCell},
    sync::Arc,
    time::{Duration, Instant},
};

use protocol::{
    Call, Data, LogPayload, Transport,
    compare::EndToEnd,
    logs::{LogsQuery, MAX_LIMIT},
};

use super::stats::{histogram, quantile_ms as ms_at};
use crate::dispatch::{Dispatcher, Route};

/// How long, after a run, its events may take to be stored before the
/// missing ones are counted as such.
const STORE_WAIT: Duration = Duration::from_secs(10);

/// The names of one run's events.
pub struct Marks {
    run: String,
    /// The part of the names of this phase's events (the warm-up's are not
    /// read back).
    prefix: RefCell<String>,
    seq: Cell<u64>,
    /// A moment as an `Instant` and as µs since the Unix epoch.
    base: (Instant, u64),
}

impl Marks {
    /// Names for a new run.
    pub fn new() -> Self {
        let run = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        Self {
            prefix: RefCell::new(format!("compare.{run}.warm.")),
            run,
            seq: Cell::new(0),
            base: (Instant::now(), runtime::timing::unix_micros()),
        }
    }

    /// From now on, the events measured (their names' prefix).
    pub fn measure(&self) -> String {
        let prefix = format!("compare.{}.", self.run);
        self.prefix.replace(prefix.clone());
        prefix
    }

    /// `log`'s entry as the next event, sent (or planned) at `at`.
    pub fn event(&self, log: &LogPayload, at: Instant) -> Arc<Call> {
        let n = self.seq.replace(self.seq.get() + 1);
        let sent_us = self.base.1 + runtime::timing::micros(at.duration_since(self.base.0));
        let name = format!("{}{n}.{sent_us}", self.prefix.borrow());
        let log = LogPayload {
            // The prefix and two numbers: well within a name's 256 bytes.
            name: name.parse().unwrap_or_else(|_| log.name.clone()),
            data: log.data.clone(),
        };
        Arc::new(Call::Log { log })
    }
}

/// Reads back the entries of the events named `prefix…` (`ok` of them were
/// answered 202) until all are found or [`STORE_WAIT`] passed: their
/// end-to-end times.
pub async fn end_to_end(dispatcher: &Dispatcher, prefix: &str, ok: u64) -> EndToEnd {
    let due = Instant::now() + STORE_WAIT;
    let mut times = Vec::new();
    loop {
        times = stored_times(dispatcher, prefix).await.unwrap_or(times);
        if times.len() as u64 >= ok || Instant::now() > due {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let mut spread = histogram();
    for &us in &times {
        spread.saturating_record(us.max(1));
    }
    let stored = times.len() as u64;
    EndToEnd {
        stored,
        missing: ok.saturating_sub(stored),
        p50_ms: ms_at(&spread, 0.5),
        p90_ms: ms_at(&spread, 0.9),
        p99_ms: ms_at(&spread, 0.99),
        max_ms: ms_at(&spread, 1.0),
    }
}

/// Every stored entry named `prefix…`, as its end-to-end time in µs (page
/// after page of the `logs` action over HTTP); `None` when a page failed.
async fn stored_times(dispatcher: &Dispatcher, prefix: &str) -> Option<Vec<u64>> {
    let mut times = Vec::new();
    let mut cursor = None;
    loop {
        let query =
            serde_json::json!({"name_prefix": prefix, "limit": MAX_LIMIT, "cursor": cursor});
        let logs: LogsQuery = serde_json::from_value(query).ok()?;
        let call = Arc::new(Call::Logs { logs });
        let answered = dispatcher
            .dispatch(&call, Route::Call(Transport::Http))
            .await;
        let Ok(Data::Logs(page)) = answered.result.map(|accepted| accepted.data) else {
            return None;
        };
        for entry in &page.entries {
            let sent_us = entry
                .name
                .rsplit('.')
                .next()
                .and_then(|us| us.parse::<u64>().ok());
            let stored = chrono::DateTime::parse_from_rfc3339(&entry.created_at).ok();
            if let (Some(sent_us), Some(stored)) = (sent_us, stored) {
                let stored_us = u64::try_from(stored.timestamp_micros()).unwrap_or(0);
                times.push(stored_us.saturating_sub(sent_us));
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Some(times),
        }
    }
}
