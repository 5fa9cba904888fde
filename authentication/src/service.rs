//! The authentication service: one [`Handler`] for the action it serves,
//! whatever the transport (the runtime serves it over each).

use std::time::Duration;

use clients::{CallService, Request, http::HttpClient};
use protocol::{
    Answer, Call, Credentials, Data, LogPayload, Login, PerWorker, Transport, Worker, WorkerError,
};
use runtime::{
    timing::dependency,
    worker::{Document, Handler, not_served},
};
use tower::ServiceExt;

use crate::{error::invalid_credentials, password::Hasher, store::UserStore, tokens::Issuer};

/// The log entry name of a login (the original's).
pub const LOGIN_LOG_NAME: &str = "authentication";

/// How long reporting a login to the logger may take.
const REPORT_TIMEOUT: Duration = Duration::from_secs(2);

/// Users, bcrypt, and the logger a login is reported to.
#[derive(Clone)]
pub struct Authenticator {
    /// The `users` table.
    pub store: UserStore,
    /// bcrypt off the runtime.
    pub hasher: Hasher,
    /// The logger, over HTTP.
    pub logger: CallService,
    /// Signs a login's token.
    pub issuer: Issuer,
}

impl Authenticator {
    /// A client of the logger at `logger_url`, whose idle connections close
    /// after `idle`.
    pub fn logger_client(logger_url: &str, idle: Duration) -> anyhow::Result<CallService> {
        let urls = PerWorker {
            logger: logger_url.to_owned(),
            ..PerWorker::default()
        };
        let http = HttpClient::new(urls, idle, REPORT_TIMEOUT)?;
        Ok(clients::stack(http, Transport::Http, None))
    }

    /// Checks the credentials; answers `Logged in user <email>` with the user.
    /// Unknown e-mail and wrong password are the same error after the same
    /// bcrypt work.
    async fn authenticate(&self, credentials: Credentials) -> Result<Answer, WorkerError> {
        let email = credentials.email.as_str();
        let row = dependency("Postgres select user", self.store.find_by_email(email)).await?;
        let hash = row.as_ref().map(|r| r.password_hash().to_owned());
        let password = credentials.password.as_str().to_owned();
        let matches = dependency("bcrypt verify", self.hasher.verify(password, hash)).await?;
        match row {
            Some(row) if matches => {
                let user = row.into_user();
                self.report_login(&user.email);
                let token = self.issuer.issue(&user)?;
                let message = format!("Logged in user {}", user.email);
                Ok(Answer::new(message, Data::Auth(Login { user, token })))
            }
            _ => Err(invalid_credentials()),
        }
    }

    /// Writes `authentication` / `<email> logged in` through the logger, in the
    /// background: a login never waits for, or fails with, the logger.
    fn report_login(&self, email: &str) {
        let logger = self.logger.clone();
        let log = LogPayload {
            name: LOGIN_LOG_NAME
                .parse()
                .unwrap_or_else(|_| unreachable!("a valid name")),
            data: format!("{email} logged in"),
        };
        // In the login's trace, although it may end after the login answered.
        let span = tracing::info_span!("report login");
        let report = async move {
            let request = Request::new(Call::Log { log }, REPORT_TIMEOUT);
            if let Err(error) = logger.oneshot(request).await {
                runtime::throttled!(warn, "could not log the login", %error);
            }
        };
        tokio::spawn(runtime::trace::carry(tracing::Instrument::instrument(
            report, span,
        )));
    }
}

impl Handler for Authenticator {
    const WORKER: Worker = Worker::Authentication;

    async fn handle(&self, call: Call) -> Result<Answer, WorkerError> {
        match call {
            Call::Auth { auth } => self.authenticate(auth).await,
            other => Err(not_served(Self::WORKER, &other)),
        }
    }

    /// Postgres answers and the migrations ran.
    async fn health(&self) -> Result<(), WorkerError> {
        Ok(self.store.ping().await?)
    }

    /// The key that verifies the tokens, as a JSON Web Key Set (RFC 7517).
    fn documents(&self) -> Vec<Document> {
        vec![Document {
            paths: &["/jwks.json", "/.well-known/jwks.json"],
            json: serde_json::to_string(self.issuer.jwks()).unwrap_or_default(),
            max_age_secs: 300,
        }]
    }
}
