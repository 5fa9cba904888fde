//! What a [`TestApp`](super::TestApp) starts besides the broker ([`Stack`]),
//! and the changes a test makes to the services' settings ([`Tuning`]).

/// What to start besides the broker.
#[derive(Clone, Copy)]
pub struct Stack {
    pub logger: bool,
    pub listener: bool,
    pub auth: bool,
    pub mail: bool,
}

impl Stack {
    /// Every service.
    pub const ALL: Stack = Stack {
        logger: true,
        listener: true,
        auth: true,
        mail: true,
    };
    /// Every service but the logger.
    pub const NO_LOGGER: Stack = Stack {
        logger: false,
        ..Stack::ALL
    };
    /// Every service but the listener.
    pub const NO_LISTENER: Stack = Stack {
        listener: false,
        ..Stack::ALL
    };
    /// The broker alone.
    pub const NONE: Stack = Stack {
        logger: false,
        listener: false,
        auth: false,
        mail: false,
    };
}

/// A change to settings `S`.
type Tune<'a, S> = Box<dyn FnOnce(&mut S) + 'a>;

/// [`Tuning`]: a change (none by default) to each service's settings, and the
/// method that sets it.
macro_rules! tuning {
    ($($(#[$doc:meta])* $service:ident: $settings:ty,)*) => {
        /// Changes a test makes to the settings of the services a
        /// [`TestApp`](super::TestApp) starts: to point the authentication or mail
        /// service at an unreachable Postgres or SMTP server, or to change the
        /// broker's deadlines.
        pub struct Tuning<'a> {
            $(pub(super) $service: Tune<'a, $settings>,)*
        }

        impl Default for Tuning<'_> {
            fn default() -> Self {
                Self {
                    $($service: Box::new(|_| {}),)*
                }
            }
        }

        impl<'a> Tuning<'a> {
            $(
                $(#[$doc])*
                pub fn $service(mut self, tune: impl FnOnce(&mut $settings) + 'a) -> Self {
                    self.$service = Box::new(tune);
                    self
                }
            )*
        }
    };
}

tuning! {
    /// `tune` changes the logger's settings.
    logger: logger::Settings,
    /// `tune` changes the authentication service's settings.
    auth: authentication::Settings,
    /// `tune` changes the mail service's settings.
    mail: mail::Settings,
    /// `tune` changes the broker's settings.
    broker: broker::Settings,
}
