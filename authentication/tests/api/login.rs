//! `POST /authenticate`: the seed user, migrations run once, and timing that
//! does not tell unknown e-mails from wrong passwords.

use std::time::Instant;

use serde_json::json;
use testkit::TestPostgres;

use crate::helpers::TestAuth;

#[tokio::test]
async fn the_seed_user_logs_in_with_the_originals_answer() {
    let postgres = TestPostgres::new();
    let auth = TestAuth::spawn(&postgres, 4).await;
    let (status, body) = auth.login("admin@example.com", "verysecret").await;
    assert_eq!(status, 202, "{body}");
    assert_eq!(body["message"], "Logged in user admin@example.com");
    assert_eq!(body["data"]["first_name"], "Admin");
    assert!(body["data"].get("password").is_none());

    let (status, body) = auth.login("admin@example.com", "nope").await;
    assert_eq!(status, 401);
    assert_eq!(
        body,
        json!({"error": true, "message": "invalid credentials"})
    );
    auth.stop().await;
    postgres.drop().await;
}

#[tokio::test]
async fn restarting_migrates_nothing_twice_and_seeds_once() {
    let postgres = TestPostgres::new();
    TestAuth::spawn(&postgres, 4).await.stop().await;
    let auth = TestAuth::spawn(&postgres, 4).await;
    let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&postgres.dsn)
        .await
        .expect("connects");
    let admins: i64 =
        sqlx::query_scalar("SELECT count(*) FROM users WHERE email = 'admin@example.com'")
            .fetch_one(&mut connection)
            .await
            .expect("counts");
    assert_eq!(admins, 1);
    let hash: String =
        sqlx::query_scalar("SELECT password FROM users WHERE email = 'admin@example.com'")
            .fetch_one(&mut connection)
            .await
            .expect("reads");
    assert!(hash.starts_with("$2"), "stored as a bcrypt hash");
    drop(connection);
    auth.stop().await;
    postgres.drop().await;
}

#[tokio::test]
async fn unknown_email_and_wrong_password_take_about_the_same_time() {
    // Cost 10 makes bcrypt (~50 ms) dominate the call, as it does in production.
    let postgres = TestPostgres::new();
    let auth = TestAuth::spawn(&postgres, 10).await;
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(auth.login("admin@example.com", "wrong").await.0, 401);
        wrong.push(started.elapsed());
        let started = Instant::now();
        assert_eq!(auth.login("nobody@example.com", "wrong").await.0, 401);
        unknown.push(started.elapsed());
    }
    wrong.sort();
    unknown.sort();
    let (wrong, unknown) = (wrong[2].as_secs_f64(), unknown[2].as_secs_f64());
    let ratio = unknown / wrong;
    assert!(
        (0.5..2.0).contains(&ratio),
        "median unknown {unknown:.4}s vs wrong password {wrong:.4}s"
    );
    auth.stop().await;
    postgres.drop().await;
}
