//! Who may call what: `TOKEN_REQUIRED_FOR` names the actions (any of
//! [`protocol::Action::ALL`]) and endpoints (`compare`) that need `Authorization: Bearer
//! <token>`, a token from a login ([`protocol::tokens`]). Nothing by default
//! (the local stack, as the original); the deployments name `mail` and
//! `compare`.
//!
//! The keys come from authentication's JWKS (`JWKS_URL`), fetched on first use
//! and again when a token names a key not seen yet, at most once every
//! [`REFETCH_AFTER`] (a forged key id cannot make the broker fetch on every
//! request).

use std::{
    collections::HashMap,
    sync::RwLock,
    time::{Duration, Instant},
};

use actix_web::{HttpRequest, http::header};
use jsonwebtoken::{DecodingKey, jwk::JwkSet};

/// The soonest the key set is fetched again for an unknown key id.
pub const REFETCH_AFTER: Duration = Duration::from_secs(10);

/// The words of `TOKEN_REQUIRED_FOR` besides the actions.
pub const COMPARE: &str = "compare";

/// Why a request's token was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No `Authorization: Bearer` header (401).
    #[error("{0} needs a token: log in (action auth) and send Authorization: Bearer <token>")]
    Missing(String),
    /// Forged, expired, for another audience, of another algorithm (401).
    #[error("the token is not valid: {0}")]
    Invalid(String),
    /// The key set could not be fetched (503).
    #[error("cannot check tokens: the key set at {0} is unreachable")]
    KeysUnreachable(String),
}

/// The token check of one broker (shared by its actix-web workers).
pub struct Tokens {
    required: Vec<String>,
    jwks_url: String,
    leeway_secs: u64,
    client: reqwest::Client,
    keys: RwLock<Keys>,
}

#[derive(Default)]
struct Keys {
    by_id: HashMap<String, DecodingKey>,
    fetched: Option<Instant>,
}

impl Tokens {
    /// A check of `required` (words of `TOKEN_REQUIRED_FOR`) against the keys at
    /// `jwks_url`, allowing `leeway_secs` of clock skew.
    pub fn new(required: &[String], jwks_url: &str, leeway_secs: u64) -> anyhow::Result<Self> {
        let mut known = protocol::Action::NAMES.to_vec();
        known.push(COMPARE);
        if let Some(unknown) = required.iter().find(|w| !known.contains(&w.as_str())) {
            anyhow::bail!("TOKEN_REQUIRED_FOR: unknown {unknown:?}; expected some of {known:?}");
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        Ok(Self {
            required: required.to_vec(),
            jwks_url: jwks_url.to_owned(),
            leeway_secs,
            client,
            keys: RwLock::default(),
        })
    }

    /// Whether `what` (an action or `compare`) needs a token.
    pub fn required_for(&self, what: &str) -> bool {
        self.required.iter().any(|w| w == what)
    }

    /// Checks the request's token when `what` needs one.
    pub async fn check(&self, request: &HttpRequest, what: &str) -> Result<(), TokenError> {
        if !self.required_for(what) {
            return Ok(());
        }
        let token = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or_else(|| TokenError::Missing(what.to_owned()))?;
        let invalid = |e: jsonwebtoken::errors::Error| TokenError::Invalid(e.to_string());
        let header = jsonwebtoken::decode_header(token).map_err(invalid)?;
        let kid = header.kid.unwrap_or_default();
        let key = self.key(&kid).await?;
        let claims = protocol::tokens::verify(token, &key, self.leeway_secs).map_err(invalid)?;
        tracing::debug!(user = %claims.sub, what, "token accepted");
        Ok(())
    }

    /// The key `kid` names, from the cache or a fresh fetch of the key set.
    async fn key(&self, kid: &str) -> Result<DecodingKey, TokenError> {
        let recently = {
            let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
            if let Some(key) = keys.by_id.get(kid) {
                return Ok(key.clone());
            }
            keys.fetched.is_some_and(|at| at.elapsed() < REFETCH_AFTER)
        };
        if !recently {
            let fetched = self.fetch().await?;
            let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
            *keys = fetched;
            if let Some(key) = keys.by_id.get(kid) {
                return Ok(key.clone());
            }
        }
        Err(TokenError::Invalid(format!(
            "no key {} in the key set",
            protocol::text::quote(kid)
        )))
    }

    async fn fetch(&self) -> Result<Keys, TokenError> {
        let unreachable = |e: reqwest::Error| {
            tracing::warn!(url = %self.jwks_url, error = %e, "cannot fetch the key set");
            TokenError::KeysUnreachable(self.jwks_url.clone())
        };
        let response = self.client.get(&self.jwks_url).send().await;
        let set: JwkSet = response
            .and_then(reqwest::Response::error_for_status)
            .map_err(unreachable)?
            .json()
            .await
            .map_err(unreachable)?;
        let by_id = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let id = jwk.common.key_id.clone()?;
                Some((id, DecodingKey::from_jwk(jwk).ok()?))
            })
            .collect();
        Ok(Keys {
            by_id,
            fetched: Some(Instant::now()),
        })
    }
}
