//! The tokens of a login (feature `tokens`): what authentication signs and the
//! broker checks. EdDSA only; the audience and issuer are fixed, the expiry
//! required.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};

/// The `aud` of every token: this system.
pub const AUDIENCE: &str = "flexiconnect";
/// The `iss` of every token: the authentication service.
pub const ISSUER: &str = "flexiconnect-authentication";

/// A token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's e-mail.
    pub sub: String,
    /// The user's id.
    pub uid: i64,
    /// [`AUDIENCE`].
    pub aud: String,
    /// [`ISSUER`].
    pub iss: String,
    /// Issued at (seconds since the epoch).
    pub iat: u64,
    /// Expires at (seconds since the epoch).
    pub exp: u64,
}

impl Claims {
    /// The claims of a token for `email` (`id`) issued at `iat`, expiring at `exp`.
    pub fn new(email: &str, id: i64, iat: u64, exp: u64) -> Self {
        Self {
            sub: email.to_owned(),
            uid: id,
            aud: AUDIENCE.to_owned(),
            iss: ISSUER.to_owned(),
            iat,
            exp,
        }
    }
}

/// Checks `token` against `key`: the signature, the algorithm (EdDSA, whatever
/// the token's header says), `exp` (with `leeway_secs` of clock skew), `aud`
/// and `iss`.
pub fn verify(
    token: &str,
    key: &DecodingKey,
    leeway_secs: u64,
) -> Result<Claims, jsonwebtoken::errors::Error> {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.leeway = leeway_secs;
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[ISSUER]);
    validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
    jsonwebtoken::decode::<Claims>(token, key, &validation).map(|data| data.claims)
}
