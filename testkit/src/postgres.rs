//! The shared Postgres: a database of its own per test ([`TestPostgres`]).

use crate::names::unique_name;

/// Env var naming the Postgres server tests use (no database in the path).
pub const ENV_TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// The Postgres server's URL, without a database.
pub fn database_url() -> String {
    std::env::var(ENV_TEST_DATABASE_URL)
        .unwrap_or_else(|_| "postgres://postgres:password@127.0.0.1:5432".into())
        .trim_end_matches('/')
        .to_owned()
}

/// A database of its own on the shared Postgres (created by the service under
/// test, dropped by [`TestPostgres::drop`]).
pub struct TestPostgres {
    /// The URL of the test's database (hand it to the service as `DSN`).
    pub dsn: String,
    /// Its name.
    pub name: String,
}

impl TestPostgres {
    /// Picks a fresh database name.
    pub fn new() -> Self {
        let name = unique_name("test");
        Self {
            dsn: format!("{}/{name}", database_url()),
            name,
        }
    }

    /// Drops the test's database (closing its connections).
    pub async fn drop(self) {
        use sqlx::Connection;
        let admin = format!("{}/postgres", database_url());
        if let Ok(mut connection) = sqlx::PgConnection::connect(&admin).await {
            let statement = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
                .execute(&mut connection)
                .await;
            let _ = connection.close().await;
        }
    }
}

impl Default for TestPostgres {
    fn default() -> Self {
        Self::new()
    }
}
