//! The JetStream stream of log events: its bounds (settings), and making sure
//! it exists as they say, for the broker that publishes into it and the
//! listener that consumes it.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use protocol::nats::NatsNames;

/// Env var: how long the stream keeps an event, in seconds.
pub const ENV_NATS_STREAM_MAX_AGE_SECS: &str = "NATS_STREAM_MAX_AGE_SECS";
/// Env var: how many bytes of events the stream keeps.
pub const ENV_NATS_STREAM_MAX_BYTES: &str = "NATS_STREAM_MAX_BYTES";

/// How much the stream keeps (the oldest events go first past either bound).
#[derive(Debug, Clone, clap::Args)]
pub struct StreamSettings {
    /// How long the stream keeps an event, in seconds (7 days): a listener
    /// that was away for less catches up on everything.
    #[arg(long, env = ENV_NATS_STREAM_MAX_AGE_SECS, default_value_t = 7 * 24 * 3600)]
    pub nats_stream_max_age_secs: u64,
    /// How many bytes of events the stream keeps on disk (1 GiB).
    #[arg(long, env = ENV_NATS_STREAM_MAX_BYTES, default_value_t = 1 << 30)]
    pub nats_stream_max_bytes: i64,
}

impl Default for StreamSettings {
    fn default() -> Self {
        Self {
            nats_stream_max_age_secs: 7 * 24 * 3600,
            nats_stream_max_bytes: 1 << 30,
        }
    }
}

impl StreamSettings {
    /// The stream's configuration: file storage (it survives a restart of
    /// NATS), bounded in age and bytes, a retried publish stored once within
    /// two minutes (`Nats-Msg-Id`).
    pub fn config(&self, names: &NatsNames) -> stream::Config {
        stream::Config {
            name: names.stream.clone(),
            subjects: vec![names.stream_subjects.clone()],
            storage: stream::StorageType::File,
            retention: stream::RetentionPolicy::Limits,
            discard: stream::DiscardPolicy::Old,
            max_age: Duration::from_secs(self.nats_stream_max_age_secs),
            max_bytes: self.nats_stream_max_bytes,
            duplicate_window: Duration::from_secs(120),
            ..stream::Config::default()
        }
    }

    /// Creates the stream, or brings an existing one to these bounds.
    pub async fn ensure(
        &self,
        jetstream: &jetstream::Context,
        names: &NatsNames,
    ) -> anyhow::Result<()> {
        jetstream
            .create_or_update_stream(self.config(names))
            .await?;
        Ok(())
    }
}
