//! Postgres: the `users` table.

use std::{str::FromStr, time::Duration};

use chrono::{DateTime, SecondsFormat, Utc};
use protocol::User;
use runtime::secret::Secret;
use sqlx::{
    PgPool, Postgres,
    migrate::MigrateDatabase,
    postgres::{PgConnectOptions, PgPoolOptions},
};
use tokio::sync::watch;

use crate::password::{HashError, Hasher};

/// A row of `users`, hash included; only [`UserRow::into_user`] lets it out.
#[derive(sqlx::FromRow)]
pub struct UserRow {
    id: i64,
    email: String,
    first_name: String,
    last_name: String,
    password: String,
    user_active: i32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl UserRow {
    /// The stored bcrypt hash.
    pub fn password_hash(&self) -> &str {
        &self.password
    }

    /// The user as answers carry it: without the hash.
    pub fn into_user(self) -> User {
        let rfc3339 = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
        User {
            id: self.id,
            email: self.email,
            first_name: self.first_name,
            last_name: self.last_name,
            active: self.user_active,
            created_at: rfc3339(self.created_at),
            updated_at: rfc3339(self.updated_at),
        }
    }
}

/// A store operation that failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Postgres is unreachable (or the pool had no connection in time).
    #[error("the user database is unreachable")]
    Unavailable(#[source] sqlx::Error),
    /// Migrations have not run yet (Postgres was not reachable since start-up).
    #[error("the user database is not ready")]
    NotReady,
    /// Postgres answered with an error.
    #[error("the user database failed")]
    Failed(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            _ => StoreError::Failed(e),
        }
    }
}

/// Why preparing the database failed.
#[derive(Debug, thiserror::Error)]
pub enum PrepareError {
    /// Creating the database, migrating or seeding failed.
    #[error("preparing the user database failed")]
    Database(#[from] sqlx::Error),
    /// Migrations failed.
    #[error("migrating the user database failed")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Hashing the seed password failed.
    #[error(transparent)]
    Hash(#[from] HashError),
}

/// The `users` table behind a lazily connected pool.
#[derive(Clone)]
pub struct UserStore {
    pool: PgPool,
    ready: watch::Receiver<bool>,
}

/// Marks the store ready once [`prepare`] succeeded.
pub struct Readiness(watch::Sender<bool>);

impl UserStore {
    /// A pool that connects on first use: the service starts while Postgres is
    /// still coming up.
    pub fn connect_lazy(
        dsn: &Secret,
        timeout: Duration,
        max_connections: u32,
    ) -> Result<(Self, Readiness), sqlx::Error> {
        let options = PgConnectOptions::from_str(dsn.expose())?;
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(timeout)
            .connect_lazy_with(options);
        let (tx, ready) = watch::channel(false);
        Ok((Self { pool, ready }, Readiness(tx)))
    }

    /// The user with this e-mail, hash included.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<UserRow>, StoreError> {
        if !*self.ready.borrow() {
            return Err(StoreError::NotReady);
        }
        let row = sqlx::query_as::<_, UserRow>(
            "SELECT id, email, first_name, last_name, password, user_active, created_at, updated_at \
             FROM users WHERE email = $1",
        )
        .bind(email)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row)
    }

    /// Checks that Postgres answers and migrations ran (the readiness probe).
    pub async fn ping(&self) -> Result<(), StoreError> {
        if !*self.ready.borrow() {
            return Err(StoreError::NotReady);
        }
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Creates the database when missing, runs the migrations, seeds the user
    /// when absent, then marks the store ready.
    pub async fn prepare(
        &self,
        dsn: &Secret,
        hasher: &Hasher,
        seed: Option<(&str, &Secret)>,
        readiness: &Readiness,
    ) -> Result<(), PrepareError> {
        if !Postgres::database_exists(dsn.expose()).await? {
            tracing::info!("creating the user database");
            if let Err(error) = Postgres::create_database(dsn.expose()).await {
                // Another instance may have created it meanwhile.
                if !Postgres::database_exists(dsn.expose()).await? {
                    return Err(error.into());
                }
            }
        }
        sqlx::migrate!("./migrations").run(&self.pool).await?;
        if let Some((email, password)) = seed {
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users WHERE email = $1)")
                    .bind(email)
                    .fetch_one(&self.pool)
                    .await?;
            if !exists {
                let hash = hasher.hash(password.expose().to_owned()).await?;
                sqlx::query(
                    "INSERT INTO users (email, first_name, last_name, password, user_active) \
                     VALUES ($1, 'Admin', 'User', $2, 1) ON CONFLICT (email) DO NOTHING",
                )
                .bind(email)
                .bind(hash)
                .execute(&self.pool)
                .await?;
                tracing::info!(email, "seeded the first user");
            }
        }
        readiness.0.send_replace(true);
        Ok(())
    }
}
