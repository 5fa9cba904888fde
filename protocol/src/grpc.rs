//! The gRPC services, generated from `proto/*.proto` by `build.rs`, and the
//! conversions between their messages and the contract's types. A message
//! becomes a contract type only through its checks ([`TryFrom`]), as JSON does.

use crate::{Answer, Credentials, LogPayload, MailPayload, PingPayload, User};

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
    /// `auth.AuthService/Authenticate`.
    auth,
    /// `mail.MailService/SendMail`.
    mail,
    /// `ping.PingService/Ping`: a round trip that touches no database.
    ping,
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

impl From<&LogPayload> for logs::LogRequest {
    fn from(entry: &LogPayload) -> Self {
        logs::LogRequest {
            log_entry: Some(logs::Log {
                name: entry.name.to_string(),
                data: entry.data.clone(),
            }),
        }
    }
}

impl TryFrom<auth::AuthRequest> for Credentials {
    type Error = Invalid;
    fn try_from(request: auth::AuthRequest) -> Result<Self, Invalid> {
        Ok(Credentials {
            email: request.email.parse()?,
            password: request.password.parse()?,
        })
    }
}

impl From<&Credentials> for auth::AuthRequest {
    fn from(credentials: &Credentials) -> Self {
        auth::AuthRequest {
            email: credentials.email.to_string(),
            password: credentials.password.as_str().to_owned(),
        }
    }
}

impl TryFrom<mail::MailRequest> for MailPayload {
    type Error = Invalid;
    fn try_from(request: mail::MailRequest) -> Result<Self, Invalid> {
        let from = request.from.trim();
        Ok(MailPayload {
            from: (!from.is_empty()).then(|| from.parse()).transpose()?,
            to: request.to.parse()?,
            subject: request.subject.parse()?,
            message: request.message,
        })
    }
}

impl From<&MailPayload> for mail::MailRequest {
    fn from(mail: &MailPayload) -> Self {
        mail::MailRequest {
            from: mail
                .from
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            to: mail.to.to_string(),
            subject: mail.subject.to_string(),
            message: mail.message.clone(),
        }
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

same_fields!(User, auth::User, {
    id,
    email,
    first_name,
    last_name,
    active,
    created_at,
    updated_at
});

impl From<Answer> for auth::AuthResponse {
    fn from(answer: Answer) -> Self {
        auth::AuthResponse {
            user: answer.data.map(Into::into),
            message: answer.message,
            token: answer.token.unwrap_or_default(),
        }
    }
}

impl From<auth::AuthResponse> for Answer {
    fn from(response: auth::AuthResponse) -> Self {
        Answer {
            message: response.message,
            data: response.user.map(Into::into),
            timing: None,
            token: Some(response.token).filter(|t| !t.is_empty()),
            echo: None,
        }
    }
}

impl From<Option<&PingPayload>> for ping::PingRequest {
    fn from(payload: Option<&PingPayload>) -> Self {
        ping::PingRequest {
            data: payload.map(|p| p.data.clone()),
        }
    }
}

impl From<ping::PingRequest> for Option<PingPayload> {
    fn from(request: ping::PingRequest) -> Self {
        request.data.map(|data| PingPayload { data })
    }
}

impl From<ping::PingResponse> for Answer {
    fn from(response: ping::PingResponse) -> Self {
        Answer {
            echo: response.echo,
            ..Answer::message(response.result)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ping_request_carries_its_data_or_none() {
        let payload = PingPayload {
            data: String::new(),
        };
        let request = ping::PingRequest::from(Some(&payload));
        assert_eq!(request.data.as_deref(), Some(""));
        assert_eq!(Option::<PingPayload>::from(request), Some(payload));
        assert_eq!(
            Option::<PingPayload>::from(ping::PingRequest::from(None)),
            None
        );
        let answer = Answer::from(ping::PingResponse {
            result: "pong".into(),
            echo: Some("e".into()),
        });
        assert_eq!(
            (answer.message.as_str(), answer.echo.as_deref()),
            ("pong", Some("e"))
        );
    }

    #[test]
    fn an_invalid_message_is_not_a_payload() {
        let empty_name = logs::LogRequest {
            log_entry: Some(logs::Log {
                name: " ".into(),
                data: String::new(),
            }),
        };
        assert!(LogPayload::try_from(empty_name).is_err());
        assert!(LogPayload::try_from(logs::LogRequest { log_entry: None }).is_err());
        let bad_to = mail::MailRequest {
            to: "nobody".into(),
            ..Default::default()
        };
        assert!(MailPayload::try_from(bad_to).is_err());
    }

    #[test]
    fn payloads_survive_the_round_trip() {
        let mail = MailPayload {
            from: None,
            to: "you@there.com".parse().expect("valid"),
            subject: "s".parse().expect("valid"),
            message: "m".into(),
        };
        assert_eq!(
            MailPayload::try_from(mail::MailRequest::from(&mail)),
            Ok(mail)
        );
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
