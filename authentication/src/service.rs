//! Authentication, shared by the three transports.

use clients::http::{HttpEndpoints, HttpWorkers};
use protocol::{Credentials, LogPayload, User};

use crate::{error::AuthError, password::Hasher, store::UserStore};

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
}

impl Authenticator {
    /// A logger client for `logger_url` with a short deadline.
    pub fn logger_client(logger_url: &str) -> anyhow::Result<HttpWorkers> {
        HttpWorkers::new(
            HttpEndpoints {
                logger: logger_url.trim_end_matches('/').to_owned(),
                ..HttpEndpoints::default()
            },
            std::time::Duration::from_secs(2),
        )
        .map_err(Into::into)
    }

    /// Checks the credentials. Unknown e-mail and wrong password are the same
    /// error after the same bcrypt work.
    #[tracing::instrument(name = "authenticate", skip_all, fields(email = %credentials.email))]
    pub async fn authenticate(&self, credentials: Credentials) -> Result<User, AuthError> {
        let email = credentials.validate().map_err(AuthError::Invalid)?;
        let row = self.store.find_by_email(email.as_str()).await?;
        let hash = row.as_ref().map(|r| r.password_hash().to_owned());
        let matches = self.hasher.verify(credentials.password, hash).await?;
        match row {
            Some(row) if matches => {
                let user = row.into_user();
                self.report_login(&user.email);
                Ok(user)
            }
            _ => Err(AuthError::InvalidCredentials),
        }
    }

    /// Writes `authentication` / `<email> logged in` through the logger, in the
    /// background: a login never waits for, or fails with, the logger.
    fn report_login(&self, email: &str) {
        let logger = self.logger.clone();
        let entry = LogPayload {
            name: LOGIN_LOG_NAME.into(),
            data: format!("{email} logged in"),
        };
        tokio::spawn(async move {
            if let Err(error) = logger.log(&entry).await {
                tracing::warn!(%error, "could not log the login");
            }
        });
    }
}
