//! The gRPC services, generated from `proto/*.proto` by `build.rs`.

/// The original `logs.proto`: package `logs`, `LogService.WriteLog`.
#[allow(missing_docs, clippy::all)]
pub mod logs {
    tonic::include_proto!("logs");
}

/// `auth.AuthService/Authenticate`.
#[allow(missing_docs, clippy::all)]
pub mod auth {
    tonic::include_proto!("auth");
}

/// `mail.MailService/SendMail`.
#[allow(missing_docs, clippy::all)]
pub mod mail {
    tonic::include_proto!("mail");
}

impl From<crate::User> for auth::User {
    fn from(u: crate::User) -> Self {
        auth::User {
            id: u.id,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            user_active: u.user_active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

impl From<auth::User> for crate::User {
    fn from(u: auth::User) -> Self {
        crate::User {
            id: u.id,
            email: u.email,
            first_name: u.first_name,
            last_name: u.last_name,
            user_active: u.user_active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// `ping.PingService/Ping`: a round trip that touches no database.
#[allow(missing_docs, clippy::all)]
pub mod ping {
    tonic::include_proto!("ping");
}
