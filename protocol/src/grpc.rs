//! The gRPC services, generated from `proto/*.proto` by `build.rs`, and the
//! conversions between their messages and the contract's types: the generic
//! `flexi.Worker/Call` (a [`Call`] in, an [`Answer`] out) and the Go original's
//! `logs.LogService/WriteLog`. A message
//! becomes a contract type only through its checks ([`TryFrom`]), as JSON does.

use crate::{
    Answer, Call, Credentials, Data, LogPayload, Login, MailPayload, PingPayload, ServerTiming,
    User,
    logs::{LogEntry, LogPage, LogsQuery, RawQuery},
};

/// A module per protobuf package, with the code `build.rs` generated for it.
macro_rules! packages {
    ($($(#[$doc:meta])* $package:ident),* $(,)?) => {$(
        $(#[$doc])*
        #[allow(missing_docs, clippy::all)]
        pub mod $package {
            include!(concat!(env!("OUT_DIR"), "/", stringify!($package), ".rs"));
        }
    )*};
}

packages!(
    /// The original `logs.proto`: package `logs`, `LogService.WriteLog`.
    logs,
    /// `flexi.Worker/Call`: every worker, every action.
    flexi,
);

/// Why a request message is not a valid call (answered as `INVALID_ARGUMENT`).
pub type Invalid = String;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn calls() -> Vec<Call> {
        [
            r#"{"action":"auth","auth":{"email":"a@b.c","password":"p"}}"#,
            r#"{"action":"log","log":{"name":"n","data":"d"}}"#,
            r#"{"action":"mail","mail":{"from":"me@b.c","to":"a@b.c","subject":"s","message":"m"}}"#,
            r#"{"action":"ping"}"#,
            r#"{"action":"ping","ping":{"data":""}}"#,
            r#"{"action":"logs","logs":{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}}"#,
        ]
        .iter()
        .map(|body| serde_json::from_str(body).expect("valid"))
        .collect()
    }

    #[test]
    fn every_call_and_answer_survives_the_round_trip() {
        for call in calls() {
            let message = flexi::CallRequest::from(&call);
            assert_eq!(Call::try_from(message), Ok(call));
        }
        let user = crate::json::user();
        for data in [
            Data::Auth(Login {
                user,
                token: "jwt".into(),
            }),
            Data::Log,
            Data::Mail,
            Data::Ping(None),
            Data::Ping(Some("e".into())),
            Data::Logs(LogPage {
                entries: vec![LogEntry {
                    name: "n".into(),
                    data: "d".into(),
                    created_at: "2026-01-01T00:00:00.000Z".into(),
                    trace_id: None,
                    truncated: true,
                }],
                next: Some("1-0123456789abcdef01234567".into()),
            }),
        ] {
            let mut answer = Answer::new("words", data);
            answer.timing = Some(ServerTiming {
                worker_us: 3,
                dependency_us: 2,
                queue_us: Some(1),
            });
            assert_eq!(
                Answer::try_from(flexi::Answer::from(answer.clone())),
                Ok(answer)
            );
        }
    }

    #[test]
    fn an_invalid_message_is_not_a_call() {
        let blank = flexi::CallRequest {
            action: Some(flexi::call_request::Action::Log(flexi::LogEntry {
                name: " ".into(),
                data: String::new(),
            })),
        };
        assert!(Call::try_from(blank).is_err());
        assert!(Call::try_from(flexi::CallRequest { action: None }).is_err());
        let empty_name = logs::LogRequest {
            log_entry: Some(logs::Log {
                name: " ".into(),
                data: String::new(),
            }),
        };
        assert!(LogPayload::try_from(empty_name).is_err());
        assert!(LogPayload::try_from(logs::LogRequest { log_entry: None }).is_err());
        let no_data = flexi::Answer::default();
        assert!(Answer::try_from(no_data).is_err());
    }
}

/// The generated services' codec (`build.rs` names it): prost's, except that a
/// message that does not decode is the sender's fault, `INVALID_ARGUMENT`,
/// where prost's codec says `INTERNAL` (the bytes came from outside; nothing
/// inside failed). Clients use it too; our workers never send such a message.
pub mod codec {
    use tonic::{
        Status,
        codec::{BufferSettings, DecodeBuf, Decoder},
    };
    use tonic_prost::{ProstCodec, ProstDecoder};

    /// [`ProstCodec`] with [`InvalidArgument`] decoding.
    #[derive(Debug, Default)]
    pub struct Codec<T, U>(ProstCodec<T, U>);

    impl<T, U> tonic::codec::Codec for Codec<T, U>
    where
        T: prost::Message + Send + 'static,
        U: prost::Message + Default + Send + 'static,
    {
        type Encode = T;
        type Decode = U;
        type Encoder = <ProstCodec<T, U> as tonic::codec::Codec>::Encoder;
        type Decoder = InvalidArgument<U>;

        fn encoder(&mut self) -> Self::Encoder {
            self.0.encoder()
        }

        fn decoder(&mut self) -> Self::Decoder {
            InvalidArgument(self.0.decoder())
        }
    }

    /// prost's decoder whose failures are `INVALID_ARGUMENT`.
    #[derive(Debug)]
    pub struct InvalidArgument<U>(ProstDecoder<U>);

    impl<U: prost::Message + Default> Decoder for InvalidArgument<U> {
        type Item = U;
        type Error = Status;

        fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
            self.0.decode(buf).map_err(|status| {
                Status::invalid_argument(format!("undecodable message: {}", status.message()))
            })
        }

        fn buffer_settings(&self) -> BufferSettings {
            self.0.buffer_settings()
        }
    }
}
