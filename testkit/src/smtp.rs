//! The shared SMTP catcher (MailDev): where services send mail
//! ([`smtp_addr`]) and how tests read what arrived ([`MailCatcher`]).

use std::time::{Duration, Instant};

/// Env var naming the SMTP catcher's SMTP address (`host:port`).
pub const ENV_TEST_SMTP_ADDR: &str = "TEST_SMTP_ADDR";
/// Env var naming the SMTP catcher's (MailDev's) HTTP API.
pub const ENV_TEST_MAILDEV_URL: &str = "TEST_MAILDEV_URL";

/// The SMTP catcher's SMTP host and port.
pub fn smtp_addr() -> (String, u16) {
    let addr = std::env::var(ENV_TEST_SMTP_ADDR).unwrap_or_else(|_| "127.0.0.1:1025".into());
    let (host, port) = addr.rsplit_once(':').expect("TEST_SMTP_ADDR is host:port");
    (host.to_owned(), port.parse().expect("TEST_SMTP_ADDR port"))
}

/// A mail as MailDev's HTTP API shows it (fields MailDev leaves out, for odd
/// mails other tests send, are empty).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CaughtMail {
    /// MailDev's id.
    pub id: String,
    /// Senders.
    pub from: Vec<CaughtAddress>,
    /// Recipients.
    pub to: Vec<CaughtAddress>,
    /// Subject line.
    pub subject: String,
    /// The HTML part, if any.
    pub html: Option<String>,
    /// The plain-text part, if any.
    pub text: Option<String>,
}

/// An address in a [`CaughtMail`] (what MailDev leaves out is empty).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CaughtAddress {
    /// The address.
    pub address: String,
    /// The display name.
    pub name: String,
}

/// The SMTP catcher's HTTP API (MailDev: `GET /email`, `GET /email/:id/source`).
pub struct MailCatcher {
    url: String,
    client: reqwest::Client,
}

impl MailCatcher {
    /// The catcher named by `TEST_MAILDEV_URL`.
    pub fn new() -> Self {
        let url =
            std::env::var(ENV_TEST_MAILDEV_URL).unwrap_or_else(|_| "http://127.0.0.1:1080".into());
        Self {
            url: url.trim_end_matches('/').to_owned(),
            client: reqwest::Client::new(),
        }
    }

    /// Every mail caught so far.
    async fn caught(&self) -> Vec<CaughtMail> {
        self.client
            .get(format!("{}/email", self.url))
            .send()
            .await
            .expect("MailDev answers at TEST_MAILDEV_URL")
            .json()
            .await
            .expect("MailDev's JSON")
    }

    /// How many mails to `to` were caught.
    pub async fn count_to(&self, to: &str) -> usize {
        let mails = self.caught().await;
        mails
            .iter()
            .filter(|m| m.to.iter().any(|a| a.address == to))
            .count()
    }

    /// Waits until a mail to `to` arrived (or `within` passed).
    pub async fn wait_for(&self, to: &str, within: Duration) -> Option<CaughtMail> {
        let deadline = Instant::now() + within;
        loop {
            let mails = self.caught().await;
            if let Some(mail) = mails
                .into_iter()
                .find(|m| m.to.iter().any(|a| a.address == to))
            {
                return Some(mail);
            }
            if Instant::now() > deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The raw message (headers and every MIME part).
    pub async fn source(&self, mail: &CaughtMail) -> String {
        self.client
            .get(format!("{}/email/{}/source", self.url, mail.id))
            .send()
            .await
            .expect("MailDev answers")
            .text()
            .await
            .expect("source text")
    }
}

impl Default for MailCatcher {
    fn default() -> Self {
        Self::new()
    }
}
