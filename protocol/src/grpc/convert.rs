//! The conversions between the gRPC messages and the contract's types: a
//! message becomes a contract type only through its checks ([`TryFrom`]), as
//! JSON does.

use super::{Invalid, flexi, logs};
use crate::{
    Answer, Call, Credentials, Data, LogPayload, Login, MailPayload, PingPayload, ServerTiming,
    User,
    logs::{LogEntry, LogPage, LogsQuery, RawQuery},
};

impl TryFrom<logs::LogRequest> for LogPayload {
    type Error = Invalid;
    fn try_from(request: logs::LogRequest) -> Result<Self, Invalid> {
        let log = request.log_entry.ok_or("logEntry is required")?;
        Ok(LogPayload {
            name: log.name.parse()?,
            data: log.data,
        })
    }
}

impl From<&Call> for flexi::CallRequest {
    fn from(call: &Call) -> Self {
        use flexi::call_request::Action as A;
        let action = match call {
            Call::Auth { auth } => A::Auth(flexi::Credentials {
                email: auth.email.to_string(),
                password: auth.password.as_str().to_owned(),
            }),
            Call::Log { log } => A::Log(flexi::LogEntry {
                name: log.name.to_string(),
                data: log.data.clone(),
            }),
            Call::Mail { mail } => A::Mail(flexi::Mail {
                from: mail
                    .from
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                to: mail.to.to_string(),
                subject: mail.subject.to_string(),
                message: mail.message.clone(),
            }),
            Call::Ping { ping } => A::Ping(flexi::Ping {
                data: ping.as_ref().map(|p| p.data.clone()),
            }),
            Call::Logs { logs } => A::Logs(logs.clone().into()),
        };
        flexi::CallRequest {
            action: Some(action),
        }
    }
}

impl TryFrom<flexi::CallRequest> for Call {
    type Error = Invalid;
    fn try_from(request: flexi::CallRequest) -> Result<Self, Invalid> {
        use flexi::call_request::Action as A;
        Ok(match request.action.ok_or("the call names no action")? {
            A::Auth(auth) => Call::Auth {
                auth: Credentials {
                    email: auth.email.parse()?,
                    password: auth.password.parse()?,
                },
            },
            A::Log(log) => Call::Log {
                log: LogPayload {
                    name: log.name.parse()?,
                    data: log.data,
                },
            },
            A::Mail(mail) => {
                let from = mail.from.trim();
                Call::Mail {
                    mail: MailPayload {
                        from: (!from.is_empty()).then(|| from.parse()).transpose()?,
                        to: mail.to.parse()?,
                        subject: mail.subject.parse()?,
                        message: mail.message,
                    },
                }
            }
            A::Ping(ping) => Call::Ping {
                ping: ping.data.map(|data| PingPayload { data }),
            },
            A::Logs(logs) => Call::Logs {
                logs: logs.try_into()?,
            },
        })
    }
}

impl From<Answer> for flexi::Answer {
    fn from(answer: Answer) -> Self {
        use flexi::answer::Data as D;
        let data = match answer.data {
            Data::Auth(login) => D::Auth(flexi::Login {
                user: Some(login.user.into()),
                token: login.token,
            }),
            Data::Log => D::Log(flexi::Empty {}),
            Data::Mail => D::Mail(flexi::Empty {}),
            Data::Ping(echo) => D::Ping(flexi::Pong { echo }),
            Data::Logs(page) => D::Logs(page.into()),
        };
        flexi::Answer {
            message: answer.message,
            timing: answer.timing.map(Into::into),
            data: Some(data),
        }
    }
}

impl TryFrom<flexi::Answer> for Answer {
    type Error = Invalid;
    fn try_from(answer: flexi::Answer) -> Result<Self, Invalid> {
        use flexi::answer::Data as D;
        let data = match answer.data.ok_or("the answer holds no data")? {
            D::Auth(login) => Data::Auth(Login {
                user: login.user.ok_or("a login answers a user")?.into(),
                token: login.token,
            }),
            D::Log(_) => Data::Log,
            D::Mail(_) => Data::Mail,
            D::Ping(pong) => Data::Ping(pong.echo),
            D::Logs(page) => Data::Logs(page.into()),
        };
        Ok(Answer {
            message: answer.message,
            data,
            timing: answer.timing.map(Into::into),
        })
    }
}

/// `From` both ways between two structs with the same fields.
macro_rules! same_fields {
    ($a:ty, $b:ty, { $($field:ident),* $(,)? }) => {
        impl From<$a> for $b {
            fn from(value: $a) -> Self {
                Self { $($field: value.$field),* }
            }
        }

        impl From<$b> for $a {
            fn from(value: $b) -> Self {
                Self { $($field: value.$field),* }
            }
        }
    };
}

same_fields!(User, flexi::User, {
    id,
    email,
    first_name,
    last_name,
    active,
    created_at,
    updated_at
});

same_fields!(LogEntry, flexi::StoredEntry, {
    name,
    data,
    created_at,
    trace_id,
    truncated
});

same_fields!(RawQuery, flexi::LogsQuery, {
    name,
    name_prefix,
    trace_id,
    since,
    until,
    limit,
    cursor
});

impl From<LogsQuery> for flexi::LogsQuery {
    fn from(query: LogsQuery) -> Self {
        RawQuery::from(query).into()
    }
}

impl TryFrom<flexi::LogsQuery> for LogsQuery {
    type Error = Invalid;
    fn try_from(query: flexi::LogsQuery) -> Result<Self, Invalid> {
        LogsQuery::try_from(RawQuery::from(query))
    }
}

impl From<LogPage> for flexi::LogPage {
    fn from(page: LogPage) -> Self {
        let entries = page.entries.into_iter().map(Into::into).collect();
        flexi::LogPage {
            entries,
            next: page.next,
        }
    }
}

impl From<flexi::LogPage> for LogPage {
    fn from(page: flexi::LogPage) -> Self {
        let entries = page.entries.into_iter().map(Into::into).collect();
        LogPage {
            entries,
            next: page.next,
        }
    }
}

same_fields!(ServerTiming, flexi::Timing, {
    worker_us,
    dependency_us,
    queue_us
});
