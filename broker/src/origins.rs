//! Which web pages may call the broker from a browser (`CORS_ORIGINS`).
//!
//! Unset, any origin may, as in the Go original: the local stack, where its page
//! and clients must keep working unchanged. Set (the deployment files set it to
//! their page's origin), only those origins get CORS headers, and a request that
//! carries any other `Origin` is refused with a 403 before it is read. CORS
//! headers alone would not do: a browser sends a "simple" cross-site POST (a
//! `text/plain` body, which the original's JSON parsing accepts) without asking
//! first, so another site's page could still send mail through the broker; only
//! its answer would be hidden. Requests without an `Origin` header (curl, the Go
//! clients, other servers) do not come from a page and pass.

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::{
    Error,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    http::header::{self, HeaderValue},
    middleware::Next,
    web,
};

use crate::error::{BrokerError, refuse_or_pass};

/// The origins allowed to call the broker from a page: any, or a list.
#[derive(Debug, Clone, Default)]
pub struct Origins(Option<Arc<[String]>>);

impl Origins {
    /// The `CORS_ORIGINS` entries (empty: any origin). Each must be an origin as
    /// browsers send it, `scheme://host[:port]`, without a path.
    pub fn parse(entries: &[String]) -> anyhow::Result<Self> {
        let mut origins = Vec::new();
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            let rest = entry
                .strip_prefix("http://")
                .or_else(|| entry.strip_prefix("https://"));
            let valid = rest.is_some_and(|host| {
                !host.is_empty() && !host.contains(['/', '?', '#', '*', ' ', '@', '%'])
            }) && entry.parse::<actix_web::http::Uri>().is_ok();
            anyhow::ensure!(
                valid,
                "CORS_ORIGINS: {entry:?} is not an origin (scheme://host[:port], without a path)"
            );
            origins.push(entry.to_ascii_lowercase());
        }
        Ok(Origins((!origins.is_empty()).then(|| origins.into())))
    }

    /// Whether a request with this `Origin` header may be served.
    pub fn allows(&self, origin: &HeaderValue) -> bool {
        match &self.0 {
            None => true,
            Some(list) => origin
                .to_str()
                .is_ok_and(|origin| list.iter().any(|o| o.eq_ignore_ascii_case(origin))),
        }
    }

    /// The CORS policy: the original's (any origin, the usual methods and
    /// headers), with the origins narrowed to the list when there is one.
    pub fn cors(&self) -> Cors {
        let cors = match &self.0 {
            None => Cors::default().allow_any_origin(),
            Some(list) => list
                .iter()
                .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin)),
        };
        cors.allowed_methods(["GET", "POST", "PUT", "DELETE", "OPTIONS"])
            .allowed_headers([
                header::ACCEPT,
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::HeaderName::from_static("x-csrf-token"),
            ])
            .expose_headers([header::LINK, header::RETRY_AFTER, header::WWW_AUTHENTICATE])
            .max_age(300)
    }
}

/// Middleware (`from_fn`): a request whose `Origin` is not allowed gets the 403
/// JSON error and goes no further. Needs the [`Origins`] as app data.
pub async fn refuse_other_origins<B: MessageBody>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let refusal = match (
        request.headers().get(header::ORIGIN),
        request.app_data::<web::Data<Origins>>(),
    ) {
        (Some(origin), Some(origins)) if !origins.allows(origin) => Some(
            BrokerError::OriginNotAllowed(String::from_utf8_lossy(origin.as_bytes()).into_owned()),
        ),
        _ => None,
    };
    refuse_or_pass(refusal, request, next).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(list: &[&str]) -> anyhow::Result<Origins> {
        Origins::parse(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn unset_allows_any_origin_as_the_original() {
        let any = origins(&[]).expect("no list is valid");
        assert!(any.allows(&HeaderValue::from_static("https://evil.example")));
        assert!(any.allows(&HeaderValue::from_static("null")));
        assert!(origins(&[" ", ""]).expect("blank entries").0.is_none());
    }

    #[test]
    fn a_list_allows_only_its_origins() {
        let list =
            origins(&["http://localhost:8081", " https://Page.example "]).expect("valid origins");
        assert!(list.allows(&HeaderValue::from_static("http://localhost:8081")));
        assert!(list.allows(&HeaderValue::from_static("https://page.example")));
        for other in ["http://localhost:8082", "https://evil.example", "null", ""] {
            assert!(!list.allows(&HeaderValue::from_static(other)), "{other}");
        }
    }

    #[test]
    fn entries_that_are_not_origins_are_refused_at_start() {
        for bad in [
            "http://a%20b",
            "http://a b",
            "localhost:8081",
            "http://page.example/",
            "*",
            "http://",
            "null",
        ] {
            let error = origins(&[bad]).expect_err("refused").to_string();
            assert!(error.contains("is not an origin"), "{bad}: {error}");
        }
    }
}
