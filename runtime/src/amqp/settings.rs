//! The RabbitMQ settings every service that uses it flattens into its own.

use protocol::amqp::AmqpNames;

use super::parse_url;

/// Env var: RabbitMQ URL.
pub const ENV_AMQP_URL: &str = "AMQP_URL";
/// Env var: a file holding the RabbitMQ URL (how Swarm hands a secret to a
/// container); wins over `AMQP_URL`.
pub const ENV_AMQP_URL_FILE: &str = "AMQP_URL_FILE";
/// Env var: suffix appended to every exchange and queue name.
pub const ENV_AMQP_NAMESPACE: &str = "AMQP_NAMESPACE";

/// RabbitMQ settings of every service that uses it (flattened into theirs).
#[derive(Debug, Clone, clap::Args)]
pub struct AmqpSettings {
    /// RabbitMQ URL (the original's is `amqp://guest:guest@rabbitmq`).
    /// `?frame_max=` overrides [`super::DEFAULT_FRAME_MAX`]. Checked at startup.
    #[arg(long, env = ENV_AMQP_URL, default_value = "amqp://guest:guest@127.0.0.1:5672/%2f", hide_env_values = true, value_parser = valid_url)]
    pub amqp_url: String,
    /// A file holding the RabbitMQ URL, which carries the service's password (a
    /// Swarm secret); wins over `AMQP_URL` ([`AmqpSettings::resolve_url_file`]).
    #[arg(long, env = ENV_AMQP_URL_FILE)]
    pub amqp_url_file: Option<std::path::PathBuf>,
    /// Suffix for every exchange and queue name (`logs_topic.<ns>`); empty means the
    /// original names. Lets two stacks, or parallel tests, share one RabbitMQ.
    #[arg(long, env = ENV_AMQP_NAMESPACE, default_value = "")]
    pub amqp_namespace: String,
}

impl AmqpSettings {
    /// The exchange and queue names these settings select.
    pub fn names(&self) -> AmqpNames {
        AmqpNames::new(&self.amqp_namespace)
    }

    /// These settings with the URL read from `AMQP_URL_FILE` when it is set
    /// (its trailing newline trimmed) and checked as `AMQP_URL` is: what a
    /// service connects with.
    pub fn resolve_url_file(mut self) -> anyhow::Result<Self> {
        let Some(path) = self.amqp_url_file.take() else {
            return Ok(self);
        };
        let url = crate::secret::resolve(&crate::secret::Secret::default(), Some(&path))?;
        // The message never quotes the URL: it holds a password.
        valid_url(url.expose()).map_err(|_| {
            anyhow::anyhow!(
                "{ENV_AMQP_URL_FILE}: {} holds no valid AMQP URL",
                path.display()
            )
        })?;
        self.amqp_url = url.expose().to_owned();
        Ok(self)
    }
}

/// clap's check of `AMQP_URL`: a URL lapin cannot parse stops the service at
/// startup instead of failing every reconnect.
fn valid_url(url: &str) -> Result<String, String> {
    parse_url(url).map(|_| url.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_file_wins_over_the_url_and_is_checked() {
        let path = std::env::temp_dir().join(format!("amqp-url-{}", std::process::id()));
        let settings = |file: Option<&std::path::Path>| AmqpSettings {
            amqp_url: "amqp://guest:guest@127.0.0.1:5672/%2f".into(),
            amqp_url_file: file.map(Into::into),
            amqp_namespace: String::new(),
        };
        std::fs::write(&path, "amqp://broker:pw@rabbitmq:5672/%2f\n").expect("write");
        let resolved = settings(Some(&path)).resolve_url_file().expect("valid");
        assert_eq!(resolved.amqp_url, "amqp://broker:pw@rabbitmq:5672/%2f");
        let unchanged = settings(None).resolve_url_file().expect("no file");
        assert_eq!(unchanged.amqp_url, "amqp://guest:guest@127.0.0.1:5672/%2f");
        std::fs::write(&path, "http://pw@not-amqp").expect("write");
        let error = settings(Some(&path))
            .resolve_url_file()
            .expect_err("invalid");
        assert!(!error.to_string().contains("pw"), "{error}");
        std::fs::remove_file(&path).expect("remove");
        assert!(settings(Some(&path)).resolve_url_file().is_err());
    }

    #[test]
    fn an_invalid_url_is_refused_at_startup() {
        let error = valid_url("http://not-amqp").expect_err("not an AMQP URL");
        assert!(!error.is_empty());
        assert_eq!(
            valid_url("amqp://rabbitmq").as_deref(),
            Ok("amqp://rabbitmq")
        );
    }
}
