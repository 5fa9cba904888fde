//! Metric handles registered once per label set and reused.
//!
//! `metrics::counter!(NAME, &labels)` asks the recorder for the series each
//! time: it builds the key, hashes it and compares it with the series it holds.
//! On a path every call takes, [`Handles`] does that once per label set and
//! then finds the handle by the label values alone.

use std::{
    collections::HashMap,
    hash::{BuildHasherDefault, DefaultHasher},
    sync::RwLock,
};

/// The handles (a counter, a histogram, a gauge, or a tuple of them) of one
/// metric family, by the values of its `N` labels, made by `register` the first
/// time a set of values is seen. Label values are `'static`: a family has
/// a fixed, small set of them (actions, transports, outcomes).
pub struct Handles<H, const N: usize> {
    register: fn([&'static str; N]) -> H,
    cache: RwLock<HashMap<[&'static str; N], H, BuildHasherDefault<DefaultHasher>>>,
}

impl<H, const N: usize> Handles<H, N> {
    /// Handles made by `register` (which calls `metrics::counter!` and the like
    /// with the label values it is given).
    pub const fn new(register: fn([&'static str; N]) -> H) -> Self {
        Self {
            register,
            cache: RwLock::new(HashMap::with_hasher(BuildHasherDefault::new())),
        }
    }

    /// Runs `use_them` with the handles of `values`, registering them first if
    /// they are new (after installing the process's recorder, so that nothing
    /// registered early is kept as a handle that records nowhere).
    pub fn with<R>(&self, values: [&'static str; N], use_them: impl FnOnce(&H) -> R) -> R {
        let cache = self
            .cache
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(handles) = cache.get(&values) {
            return use_them(handles);
        }
        drop(cache);
        super::install();
        let mut cache = self
            .cache
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let handles = cache
            .entry(values)
            .or_insert_with(|| (self.register)(values));
        use_them(handles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static SEEN: Handles<metrics::Counter, 2> = Handles::new(
        |[action, transport]| metrics::counter!("flexi_test_handles_total", "action" => action, "transport" => transport),
    );

    fn series(rendered: &str, labels: &str) -> Option<u64> {
        let prefix = format!("flexi_test_handles_total{{{labels}}} ");
        rendered
            .lines()
            .find_map(|line| line.strip_prefix(&prefix)?.parse().ok())
    }

    #[test]
    fn each_label_set_counts_into_its_own_series() {
        for _ in 0..3 {
            SEEN.with(["log", "grpc"], |c| c.increment(1));
        }
        SEEN.with(["log", "amqp"], |c| c.increment(2));
        let rendered = super::super::handle().render();
        let grpc = series(&rendered, "action=\"log\",transport=\"grpc\"");
        let amqp = series(&rendered, "action=\"log\",transport=\"amqp\"");
        assert_eq!((grpc, amqp), (Some(3), Some(2)), "{rendered}");
    }
}
