//! Tokens (issue 15): a login returns a signed, expiring JWT over every
//! transport; with the deployments' `TOKEN_REQUIRED_FOR=mail,compare` the
//! broker sends mail only for a valid token, whatever the transport, and
//! refuses expired, forged, wrong-audience and `alg: none` tokens with 401.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use protocol::tokens::{AUDIENCE, Claims};
use reqwest::header;
use serde_json::{Value, json};

use crate::helpers::{Stack, TestApp, Tuning};

const TRANSPORTS: [&str; 4] = ["http", "amqp", "rpc", "grpc"];

/// An Ed25519 private key in PKCS#8 DER, from a random seed (RFC 8410).
fn ed25519_der() -> Vec<u8> {
    let mut der = authentication::tokens::PKCS8_ED25519_PREFIX.to_vec();
    der.extend(uuid::Uuid::new_v4().as_bytes());
    der.extend(uuid::Uuid::new_v4().as_bytes());
    der
}

fn pem(der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// The stack with the deployments' setting and authentication signing with
/// `der`.
async fn spawn(der: &[u8]) -> TestApp {
    let key = pem(der);
    let stack = Stack {
        listener: false,
        ..Stack::ALL
    };
    let tuning = Tuning::default()
        .auth(move |s| s.jwt_private_key = key.into())
        .broker(|s| s.token_required_for = vec!["mail".into(), "compare".into()]);
    TestApp::spawn_tuned(stack, tuning).await
}

/// `POST {path}` with `body` and, when given, `Authorization: Bearer <token>`.
async fn post(
    app: &TestApp,
    path: &str,
    body: &Value,
    token: Option<&str>,
) -> (u16, String, Value) {
    let mut request = app.client.post(format!("{}{path}", app.address)).json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the broker answers");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get(header::WWW_AUTHENTICATE)
        .map(|v| v.to_str().expect("ASCII").to_owned())
        .unwrap_or_default();
    (
        status,
        challenge,
        response.json().await.expect("a JSON body"),
    )
}

fn mail(transport: &str) -> Value {
    json!({"action": "mail", "transport": transport, "mail": {"from": "me@example.com",
        "to": "you@example.com", "subject": "token", "message": "Hello"}})
}

async fn login(app: &TestApp, transport: &str) -> String {
    let (status, body) = app
        .auth(Some(transport), "admin@example.com", "verysecret")
        .await;
    assert_eq!(status, 202, "{body}");
    body["token"]
        .as_str()
        .expect("a token in the answer")
        .to_owned()
}

#[tokio::test]
async fn a_login_over_any_transport_returns_a_token_that_sends_mail_over_every_transport() {
    let app = spawn(&ed25519_der()).await;
    for transport in TRANSPORTS {
        let token = login(&app, transport).await;
        let jwks: Value = app
            .client
            .get(format!("{}/jwks.json", app.auth_addrs.http))
            .send()
            .await
            .expect("authentication answers")
            .json()
            .await
            .expect("a JWKS");
        let header = jsonwebtoken::decode_header(&token).expect("a JWT");
        assert_eq!(header.alg, Algorithm::EdDSA);
        assert_eq!(jwks["keys"][0]["kid"].as_str(), header.kid.as_deref());
        for over in TRANSPORTS {
            let (status, _, body) = post(&app, "/handle", &mail(over), Some(&token)).await;
            assert_eq!(
                status, 202,
                "mail over {over} with a token from {transport}: {body}"
            );
        }
    }
    app.teardown().await;
}

#[tokio::test]
async fn without_a_token_mail_and_compare_are_401_and_other_calls_pass() {
    let app = spawn(&ed25519_der()).await;
    for transport in TRANSPORTS {
        let (status, challenge, body) = post(&app, "/handle", &mail(transport), None).await;
        assert_eq!(status, 401, "{body}");
        assert!(challenge.starts_with("Bearer"), "{challenge}");
        assert!(
            body["message"]
                .as_str()
                .expect("a message")
                .contains("needs a token")
        );
    }
    let compare = json!({"action": "ping", "requests": 1, "concurrency": 1});
    assert_eq!(post(&app, "/compare", &compare, None).await.0, 401);
    let (status, _) = app.log(Some("grpc"), "tokens", "no token needed").await;
    assert_eq!(status, 202);
    app.teardown().await;
}

#[tokio::test]
async fn expired_forged_wrong_audience_and_unsigned_tokens_are_401() {
    let der = ed25519_der();
    let app = spawn(&der).await;
    let kid = jsonwebtoken::decode_header(login(&app, "http").await)
        .expect("a JWT")
        .kid;
    let sign = |claims: &Claims, key: &[u8]| {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid.clone_from(&kid);
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(key)).expect("signed")
    };
    let valid = Claims::new("admin@example.com", 1, now(), now() + 600);
    let expired = Claims::new("admin@example.com", 1, now() - 7200, now() - 3600);
    let other_audience = Claims {
        aud: format!("not-{AUDIENCE}"),
        ..valid.clone()
    };
    let unsigned = {
        let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(json!({"alg": "none", "typ": "JWT", "kid": kid}).to_string());
        let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(serde_json::to_string(&valid).expect("JSON"));
        format!("{header}.{claims}.")
    };
    let cases = [
        ("expired", sign(&expired, &der)),
        ("signed by another key", sign(&valid, &ed25519_der())),
        ("for another audience", sign(&other_audience, &der)),
        ("alg none", unsigned),
        ("not a JWT", "garbage".to_owned()),
    ];
    // The test's own valid token passes: the refusals are about what is wrong.
    let (status, _, body) = post(&app, "/handle", &mail("rpc"), Some(&sign(&valid, &der))).await;
    assert_eq!(status, 202, "{body}");
    for (what, token) in cases {
        for transport in TRANSPORTS {
            let (status, challenge, body) =
                post(&app, "/handle", &mail(transport), Some(&token)).await;
            assert_eq!(status, 401, "{what} over {transport}: {body}");
            assert!(challenge.contains("invalid_token"), "{what}: {challenge}");
        }
    }
    app.teardown().await;
}
