//! The tokens a successful login returns: EdDSA (Ed25519) JWTs, and the public
//! key that verifies them, published as a JWKS at `GET /jwks.json`.
//!
//! The key comes from `JWT_PRIVATE_KEY` (PKCS#8, as PEM from `openssl genpkey
//! -algorithm ed25519`, or its DER in base64 on one line) or its `_FILE`; without one a key is made at start-up,
//! so tokens do not outlive the process and replicas would not share it: every
//! deployment sets one.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use jsonwebtoken::{
    Algorithm, EncodingKey, Header,
    jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash},
};
use protocol::{User, WorkerError, tokens::Claims};

/// The DER prefix of an Ed25519 private key in PKCS#8 (RFC 8410): the 32-byte
/// seed follows it (`project/scripts/jwt-key.sh` writes the same).
pub const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Signs tokens with one key; knows the public half as a JWKS.
#[derive(Clone)]
pub struct Issuer {
    key: EncodingKey,
    kid: String,
    jwks: JwkSet,
    lifetime: Duration,
}

impl Issuer {
    /// An issuer with the key of `pem` (PKCS#8: PEM, or DER in base64), or a
    /// key made now when `pem` is empty; tokens last `lifetime`.
    pub fn new(pem: &str, lifetime: Duration) -> anyhow::Result<Self> {
        let key = if pem.trim().is_empty() {
            let mut der = PKCS8_ED25519_PREFIX.to_vec();
            let mut seed = [0; 32];
            getrandom::fill(&mut seed).context("no randomness for a signing key")?;
            der.extend_from_slice(&seed);
            tracing::warn!(
                "JWT_PRIVATE_KEY is not set: tokens are signed with a key made at start-up \
                 (they end with this process, and replicas would not share it)"
            );
            EncodingKey::from_ed_der(&der)
        } else if pem.trim_start().starts_with("-----BEGIN") {
            EncodingKey::from_ed_pem(pem.as_bytes())
                .context("JWT_PRIVATE_KEY is not an Ed25519 private key in PEM (PKCS#8)")?
        } else {
            // One line, as an environment file holds it: the DER in base64.
            use base64::Engine as _;
            let der = base64::engine::general_purpose::STANDARD
                .decode(pem.trim())
                .context("JWT_PRIVATE_KEY is neither PEM nor base64")?;
            EncodingKey::from_ed_der(&der)
        };
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::EdDSA)
            .context("JWT_PRIVATE_KEY is not an Ed25519 private key")?;
        let kid = jwk.thumbprint(ThumbprintHash::SHA256)?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::EdDSA);
        Ok(Self {
            key,
            kid,
            jwks: JwkSet { keys: vec![jwk] },
            lifetime,
        })
    }

    /// A token for `user`, valid from now for the issuer's lifetime.
    pub fn issue(&self, user: &User) -> Result<String, WorkerError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let claims = Claims::new(&user.email, user.id, now, now + self.lifetime.as_secs());
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).map_err(|e| runtime::worker::failed(&e))
    }

    /// The public key, as the JWKS `GET /jwks.json` serves.
    pub fn jwks(&self) -> &JwkSet {
        &self.jwks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        serde_json::from_value(serde_json::json!({
            "id": 7, "email": "admin@example.com", "first_name": "A", "last_name": "B",
            "active": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"
        }))
        .expect("a user")
    }

    #[test]
    fn a_token_verifies_with_the_published_key_and_names_the_user() {
        let issuer = Issuer::new("", Duration::from_secs(60)).expect("a key");
        let token = issuer.issue(&user()).expect("a token");
        let jwk = &issuer.jwks().keys[0];
        let key = jsonwebtoken::DecodingKey::from_jwk(jwk).expect("a key from the JWKS");
        let claims = protocol::tokens::verify(&token, &key, 0).expect("valid");
        assert_eq!(claims.sub, "admin@example.com");
        assert_eq!(claims.uid, 7);
        let header = jsonwebtoken::decode_header(&token).expect("a header");
        assert_eq!(header.kid, jwk.common.key_id);
    }

    #[test]
    fn a_key_in_pem_and_the_same_in_base64_der_are_one_key() {
        let der = "MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF";
        let pem = format!("-----BEGIN PRIVATE KEY-----\n{der}\n-----END PRIVATE KEY-----\n");
        let kid = |key: &str| {
            let issuer = Issuer::new(key, Duration::from_secs(60)).expect("a key");
            issuer.jwks().keys[0].common.key_id.clone()
        };
        assert_eq!(kid(der), kid(&pem));
        assert!(Issuer::new("not a key", Duration::from_secs(60)).is_err());
    }

    #[test]
    fn two_issuers_without_a_key_do_not_share_one() {
        let (a, b) = (
            Issuer::new("", Duration::from_secs(60)),
            Issuer::new("", Duration::from_secs(60)),
        );
        let (a, b) = (a.expect("a"), b.expect("b"));
        assert_ne!(
            a.jwks().keys[0].common.key_id,
            b.jwks().keys[0].common.key_id
        );
    }
}
