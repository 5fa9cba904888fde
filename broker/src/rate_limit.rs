//! Rate limits per client address (`RATE_LIMIT_PER_SECOND`, `RATE_LIMIT_BURST`,
//! `TRUSTED_PROXIES`), with [`governor`]'s keyed GCRA limiter.
//!
//! Off by default, as the original (the local stack, its clients and the
//! benchmark's load from one address); the deployment files turn it on. A client
//! past its quota gets a 429 JSON error with `Retry-After` before its request is
//! read, and no log line per refusal (a flood must not become a flood of logs).
//! The client is the TCP peer, unless the peer is a trusted proxy (Caddy): then
//! it is the nearest address in `X-Forwarded-For` that is not a trusted proxy.
//! A client cannot choose its key: the header counts only when the peer is
//! trusted. (`actix-governor` would do the middleware, but it is GPL-3.0; this
//! is the small part of it we need, over the same MIT/Apache-2.0 limiter.)

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
};

use actix_web::{
    Error,
    body::{EitherBody, MessageBody},
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use ipnet::IpNet;

use crate::error::{BrokerError, refuse_or_pass};

/// Checks between two sweeps of the addresses whose quota is full again.
const SWEEP_EVERY: u64 = 4096;

/// The broker's rate limit: per client address, or none.
#[derive(Clone, Default)]
pub struct RateLimit(Option<Arc<Limiter>>);

struct Limiter {
    by_client: DefaultKeyedRateLimiter<IpAddr>,
    trusted_proxies: Vec<IpNet>,
    checks: AtomicU64,
}

impl RateLimit {
    /// `per_second` calls a second per client on average (0: no limit), in bursts
    /// of up to `burst` (at least one second's worth); `trusted_proxies` are
    /// addresses or networks (`10.0.0.5`, `10.42.0.0/16`).
    pub fn new(per_second: u32, burst: u32, trusted_proxies: &[String]) -> anyhow::Result<Self> {
        let Some(rate) = NonZeroU32::new(per_second) else {
            return Ok(RateLimit(None));
        };
        let burst = NonZeroU32::new(burst.max(per_second)).unwrap_or(rate);
        let trusted_proxies = trusted_proxies
            .iter()
            .map(|entry| entry.trim())
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!("TRUSTED_PROXIES: {entry:?} is not an address or a network")
                    })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(RateLimit(Some(Arc::new(Limiter {
            by_client: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            trusted_proxies,
            checks: AtomicU64::new(0),
        }))))
    }
}

impl Limiter {
    fn is_trusted(&self, address: &IpAddr) -> bool {
        self.trusted_proxies.iter().any(|net| net.contains(address))
    }

    /// The client's address: the peer, or behind trusted proxies the nearest
    /// forwarded address that is not one of them.
    fn client(&self, peer: IpAddr, forwarded_for: Option<&str>) -> IpAddr {
        if !self.is_trusted(&peer) {
            return peer;
        }
        let mut client = peer;
        for hop in forwarded_for.unwrap_or_default().rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(address) => {
                    client = address;
                    if !self.is_trusted(&address) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }

    /// `None` when the client may go on, or the seconds it must wait.
    fn check(&self, client: IpAddr) -> Option<u64> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            self.by_client.retain_recent();
        }
        let refused = self.by_client.check_key(&client).err()?;
        let wait = refused.wait_time_from(self.by_client.clock().now());
        Some((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
    }
}

/// Middleware (`from_fn`): a client past its quota gets the 429 JSON error and
/// goes no further. Needs the [`RateLimit`] as app data.
pub async fn limit_each_client<B: MessageBody>(
    request: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let wait = match (
        request
            .app_data::<web::Data<RateLimit>>()
            .and_then(|limit| limit.0.clone()),
        request.peer_addr(),
    ) {
        (Some(limiter), Some(peer)) => {
            // Every X-Forwarded-For line, in order: a proxy that adds a line of
            // its own must not leave the client's forged one as the only one read.
            let forwarded = request
                .headers()
                .get_all("x-forwarded-for")
                .filter_map(|value| value.to_str().ok())
                .collect::<Vec<_>>()
                .join(",");
            limiter.check(limiter.client(peer.ip(), Some(&forwarded)))
        }
        _ => None,
    };
    let refusal = wait.map(|retry_after_secs| BrokerError::RateLimited { retry_after_secs });
    refuse_or_pass(refusal, request, next).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(trusted: &[&str]) -> Arc<Limiter> {
        let trusted: Vec<String> = trusted.iter().map(|s| s.to_string()).collect();
        RateLimit::new(2, 2, &trusted)
            .expect("valid")
            .0
            .expect("on")
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn zero_is_no_limit_and_bad_proxies_are_refused() {
        assert!(RateLimit::new(0, 10, &[]).expect("valid").0.is_none());
        let error = RateLimit::new(5, 10, &["not-an-ip".into()])
            .err()
            .expect("refused");
        assert!(error.to_string().contains("TRUSTED_PROXIES"), "{error}");
    }

    #[test]
    fn each_client_has_its_own_quota() {
        let limiter = limiter(&[]);
        assert_eq!(limiter.check(ip("192.0.2.1")), None);
        assert_eq!(limiter.check(ip("192.0.2.1")), None);
        assert_eq!(limiter.check(ip("192.0.2.1")), Some(1), "past the burst");
        assert_eq!(limiter.check(ip("192.0.2.2")), None, "another client");
    }

    #[test]
    fn forwarded_for_counts_only_from_a_trusted_proxy() {
        let limiter = limiter(&["10.42.0.0/16", "192.0.2.9"]);
        let forwarded = Some("203.0.113.7, 198.51.100.3, 10.42.0.8");
        // From a client directly: the header is the client's own claim.
        assert_eq!(
            limiter.client(ip("198.51.100.50"), forwarded),
            ip("198.51.100.50")
        );
        // Through the proxies: the nearest untrusted hop, not the leftmost.
        assert_eq!(
            limiter.client(ip("10.42.0.2"), forwarded),
            ip("198.51.100.3")
        );
        assert_eq!(limiter.client(ip("192.0.2.9"), None), ip("192.0.2.9"));
        assert_eq!(
            limiter.client(ip("192.0.2.9"), Some("junk")),
            ip("192.0.2.9")
        );
    }
}
