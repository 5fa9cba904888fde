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

/// Changes a test makes to the settings of the services a [`TestApp`](super::TestApp) starts:
/// to point the authentication or mail service at an unreachable Postgres or
/// SMTP server, or to change the broker's deadlines.
#[derive(Default)]
pub struct Tuning<'a> {
    pub(super) logger: Option<Tune<'a, logger::Settings>>,
    pub(super) auth: Option<Tune<'a, authentication::Settings>>,
    pub(super) mail: Option<Tune<'a, mail::Settings>>,
    pub(super) broker: Option<Tune<'a, broker::Settings>>,
}

/// A change to settings `S`.
type Tune<'a, S> = Box<dyn FnOnce(&mut S) + 'a>;

impl<'a> Tuning<'a> {
    /// `tune` changes the logger's settings.
    pub fn logger(mut self, tune: impl FnOnce(&mut logger::Settings) + 'a) -> Self {
        self.logger = Some(Box::new(tune));
        self
    }

    /// `tune` changes the authentication service's settings.
    pub fn auth(mut self, tune: impl FnOnce(&mut authentication::Settings) + 'a) -> Self {
        self.auth = Some(Box::new(tune));
        self
    }

    /// `tune` changes the mail service's settings.
    pub fn mail(mut self, tune: impl FnOnce(&mut mail::Settings) + 'a) -> Self {
        self.mail = Some(Box::new(tune));
        self
    }

    /// `tune` changes the broker's settings.
    pub fn broker(mut self, tune: impl FnOnce(&mut broker::Settings) + 'a) -> Self {
        self.broker = Some(Box::new(tune));
        self
    }
}
