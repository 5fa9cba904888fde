//! Validated strings: each type can only hold a value that passed its check.
//!
//! They deserialize through their check (`#[serde(try_from = "String")]`), so a
//! payload that reached a typed value over any wire (JSON, bincode, a protobuf
//! converted with [`TryFrom`]) is valid, and nothing downstream checks it again.

use std::{fmt, str::FromStr};

/// Longest stretch of a rejected value an error message quotes, in characters: a
/// megabyte of bad input must not come back as a megabyte of error.
pub const QUOTE_CHARS: usize = 40;

/// `value` for an error message: at most [`QUOTE_CHARS`] characters, debug-quoted,
/// with `…` when it was cut.
pub fn quote(value: &str) -> String {
    match value.char_indices().nth(QUOTE_CHARS) {
        None => format!("{value:?}"),
        Some((end, _)) => format!("{:?}…", &value[..end]),
    }
}

/// Defines a newtype over `String` whose only constructor is `parse`, which runs
/// `$check`. It (de)serializes as a plain string, through the check.
macro_rules! validated {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `value`; the error says what is wrong with it.
            pub fn parse(value: impl Into<String>) -> Result<Self, String> {
                let check: fn(String) -> Result<String, String> = $check;
                check(value.into()).map(Self)
            }

            /// The value.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                Self::parse(value)
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(value: &str) -> Result<Self, String> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

/// Defines `Debug` and `Display` as the value itself.
macro_rules! shown {
    ($name:ident) => {
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&self.0, f)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

validated!(
    /// An address that passed RFC 5322 syntax checks (the `email_address` crate),
    /// kept as given but trimmed.
    Email,
    |value| {
        let trimmed = value.trim();
        match email_address::EmailAddress::from_str(trimmed) {
            Ok(_) => Ok(trimmed.to_owned()),
            Err(e) => Err(format!("{} is not a valid e-mail address: {e}", quote(&value))),
        }
    }
);
shown!(Email);

/// Largest `log.name` accepted, in bytes.
pub const MAX_LOG_NAME_BYTES: usize = 256;

validated!(
    /// What a log entry is about ("event", "authentication", …): not blank, at
    /// most [`MAX_LOG_NAME_BYTES`].
    LogName,
    |value| {
        if value.trim().is_empty() {
            Err("log.name must not be empty".into())
        } else if value.len() > MAX_LOG_NAME_BYTES {
            Err(format!("log.name must be at most {MAX_LOG_NAME_BYTES} bytes"))
        } else {
            Ok(value)
        }
    }
);
shown!(LogName);

/// Longest password accepted, in bytes (bcrypt reads 72 at most).
pub const MAX_PASSWORD_BYTES: usize = 72;

validated!(
    /// A password in clear text, as the client sent it: not empty, at most
    /// [`MAX_PASSWORD_BYTES`]. Never printed: `Debug` and `Display` redact it.
    Password,
    |value| {
        if value.is_empty() {
            Err("auth.password must not be empty".into())
        } else if value.len() > MAX_PASSWORD_BYTES {
            Err(format!("auth.password must be at most {MAX_PASSWORD_BYTES} bytes"))
        } else {
            Ok(value)
        }
    }
);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Longest subject accepted, in bytes.
pub const MAX_SUBJECT_BYTES: usize = 998;

validated!(
    /// A mail's subject: one line of at most [`MAX_SUBJECT_BYTES`].
    Subject,
    |value| {
        if value.len() > MAX_SUBJECT_BYTES || value.contains(['\r', '\n']) {
            Err(format!("mail.subject must be one line of at most {MAX_SUBJECT_BYTES} bytes"))
        } else {
            Ok(value)
        }
    }
);
shown!(Subject);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_and_invalid_addresses() {
        assert!(Email::parse("admin@example.com").is_ok());
        assert_eq!(
            Email::parse(" admin@example.com ").map(String::from),
            Ok("admin@example.com".to_owned())
        );
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

    #[test]
    fn an_error_quotes_a_short_prefix_of_the_input() {
        let huge = "x".repeat(1_000_000);
        let error = Email::parse(huge).expect_err("not an address");
        assert!(error.len() < 200, "{} bytes", error.len());
        assert!(error.contains('…'));
    }

    #[test]
    fn log_names_are_checked() {
        assert!(LogName::parse("event").is_ok());
        assert!(LogName::parse("  ").is_err());
        assert!(LogName::parse("n".repeat(MAX_LOG_NAME_BYTES + 1)).is_err());
    }

    #[test]
    fn values_deserialize_through_their_check() {
        assert!(serde_json::from_str::<LogName>(r#""""#).is_err());
        assert!(serde_json::from_str::<Subject>(r#""two\nlines""#).is_err());
        let password: Password = serde_json::from_str(r#""verysecret""#).expect("valid");
        assert_eq!(format!("{password:?}"), "[redacted]");
        assert_eq!(password.as_str(), "verysecret");
    }
}
