//! The small lists the contract names ([`crate::Action`], [`crate::Transport`]):
//! each an enum with `ALL` and `as_str`, given its names, `Display` and
//! `FromStr` here, once.

/// `NAMES`, `names()`, `Display` and `FromStr` (by name; any other is
/// `$unknown`, naming the `$what` and the names) for an enum with `ALL` and
/// `as_str`.
macro_rules! named_list {
    ($enum:ident, $unknown:ident, $what:literal) => {
        impl $enum {
            /// Every name, in the order of `ALL`.
            pub const NAMES: [&'static str; $enum::ALL.len()] = {
                let mut names = [""; $enum::ALL.len()];
                let mut i = 0;
                while i < names.len() {
                    names[i] = $enum::ALL[i].as_str();
                    i += 1;
                }
                names
            };

            /// The names, comma-separated (for messages).
            pub fn names() -> String {
                Self::NAMES.join(", ")
            }
        }

        impl std::fmt::Display for $enum {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        #[doc = concat!("A name that is not one of the ", $what, "s.")]
        #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
        #[error("unknown {} {}: expected one of {}", $what, crate::text::quote(.0), $enum::names())]
        pub struct $unknown(pub String);

        impl std::str::FromStr for $enum {
            type Err = $unknown;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $enum::ALL
                    .into_iter()
                    .find(|item| item.as_str() == s)
                    .ok_or_else(|| $unknown(s.to_owned()))
            }
        }
    };
}

pub(crate) use named_list;
