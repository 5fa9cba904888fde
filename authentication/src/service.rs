//! Authentication, shared by the service's four transports.

use clients::{WorkerClient, http::HttpWorkers};
use protocol::{Answer, Call, Credentials, LogPayload, PerWorker, Worker, WorkerError};
use runtime::{
    timing::{dependency, timed},
    worker::{Handler, not_served},
};

use crate::{error::invalid_credentials, password::Hasher, store::UserStore, tokens::Issuer};

/// The log entry name of a login (the original's).
pub const LOGIN_LOG_NAME: &str = "authentication";

/// Users, bcrypt, and the logger a login is reported to.
#[derive(Clone)]
pub struct Authenticator {
    /// The `users` table.
    pub store: UserStore,
    /// bcrypt off the runtime.
    pub hasher: Hasher,
    /// The logger, over HTTP.
    pub logger: HttpWorkers,
    /// Signs a login's token.
    pub issuer: Issuer,
}

impl Authenticator {
    /// A logger client for `logger_url` with a short deadline.
    pub fn logger_client(logger_url: &str) -> anyhow::Result<HttpWorkers> {
        let urls = PerWorker {
            logger: logger_url.to_owned(),
            ..PerWorker::default()
        };
        Ok(HttpWorkers::new(urls, std::time::Duration::from_secs(2))?)
    }

    /// Checks the credentials; answers `Logged in user <email>` with the user.
    /// Unknown e-mail and wrong password are the same error after the same
    /// bcrypt work.
    pub async fn authenticate(&self, credentials: Credentials) -> Result<Answer, WorkerError> {
        timed(async {
            let email = credentials.email.as_str();
            let row = dependency("Postgres select user", self.store.find_by_email(email)).await?;
            let hash = row.as_ref().map(|r| r.password_hash().to_owned());
            let password = credentials.password.as_str().to_owned();
            let matches = dependency("bcrypt verify", self.hasher.verify(password, hash)).await?;
            match row {
                Some(row) if matches => {
                    let user = row.into_user();
                    self.report_login(&user.email);
                    let mut answer = Answer::message(format!("Logged in user {}", user.email));
                    answer.token = Some(self.issuer.issue(&user)?);
                    answer.data = Some(user);
                    Ok(answer)
                }
                _ => Err(invalid_credentials()),
            }
        })
        .await
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
            if let Err(error) = logger.call(&Call::Log { log }).await {
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
}
