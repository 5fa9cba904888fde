//! A validated e-mail address.

use std::{fmt, str::FromStr};

/// An address that passed RFC 5322 syntax checks (by the `email_address` crate).
/// Only [`Email::parse`] makes one, so holding an `Email` means it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    /// Checks `s` and keeps it as given (trimmed).
    pub fn parse(s: &str) -> Result<Self, String> {
        let trimmed = s.trim();
        email_address::EmailAddress::from_str(trimmed)
            .map(|_| Email(trimmed.to_owned()))
            .map_err(|e| format!("{s:?} is not a valid e-mail address: {e}"))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid_addresses() {
        assert!(Email::parse("admin@example.com").is_ok());
        assert!(Email::parse(" admin@example.com ").is_ok());
        for bad in [
            "",
            "admin",
            "@example.com",
            "a@",
            "a b@example.com",
            "x'; DROP TABLE users;--",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} accepted");
        }
    }
}
