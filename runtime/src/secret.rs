//! A setting that must never be printed: passwords, DSNs with credentials.

use std::{convert::Infallible, fmt, str::FromStr};

/// A string whose `Debug` and `Display` print `[redacted]`, so a settings struct can
/// derive `Debug` and be logged without leaking it. Read it with [`Secret::expose`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself; call only where it is handed to the dependency.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// A secret given either directly (`NAME`) or as a file (`NAME_FILE`, how Docker
/// and Swarm hand secrets to a container): the file wins, its trailing newline
/// trimmed.
pub fn resolve(value: &Secret, file: Option<&std::path::Path>) -> std::io::Result<Secret> {
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot read secret file {}: {e}", path.display()),
                )
            })?;
            Ok(Secret(text.trim_end_matches(['\r', '\n']).to_owned()))
        }
        None => Ok(value.clone()),
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl FromStr for Secret {
    type Err = Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_wins_over_the_value() {
        let path = std::env::temp_dir().join(format!("secret-{}", std::process::id()));
        std::fs::write(&path, "from-file\n").expect("write");
        let value: Secret = "from-env".parse().expect("infallible");
        assert_eq!(
            resolve(&value, Some(&path)).expect("reads").expose(),
            "from-file"
        );
        assert_eq!(resolve(&value, None).expect("no file").expose(), "from-env");
        std::fs::remove_file(&path).expect("remove");
        assert!(resolve(&value, Some(&path)).is_err());
    }

    #[test]
    fn never_printed() {
        let s: Secret = "verysecret".parse().expect("infallible");
        assert_eq!(format!("{s:?} {s}"), "[redacted] [redacted]");
        assert_eq!(s.expose(), "verysecret");
    }
}
