//! Enforcement of the client quotas, Kafka's `ClientQuotaManager` (and its
//! `ClientRequestQuotaManager`) with the default callback: which quota applies to a (user,
//! client id), the rate measured per the entity that quota belongs to, and the throttle time a
//! request earns.
//!
//! Resolution, first match wins per key (Kafka's order): `users/U/clients/C`,
//! `users/U/clients/<default>`, `users/U`, `users/<default>/clients/C`,
//! `users/<default>/clients/<default>`, `users/<default>`, `clients/C`, `clients/<default>`.
//! A default applies to each user or client id on its own: the rate is kept per actual name of
//! every component the matched entity has, as Kafka's metric tags are.
//!
//! The request quota (KIP-124) counts time, not bytes: each request's handling time as a
//! percentage of one thread (1 ms = 0.1 %-seconds), so `request_percentage=50` is half a
//! thread's time per second.
//!
//! Cost when no quota of a kind is configured: one relaxed atomic load per request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::entity::{EntityName, QuotaEntity, QuotaKey};
use super::rate::{QuotaWindow, SampledRate};
use super::store::{QuotaChanges, QuotaMap, QuotaStore};
use crate::Result;

/// Rates unused this long are dropped (Kafka expires quota sensors after an hour).
const IDLE_RATE_EXPIRY_MS: i64 = 3_600_000;
/// Rates kept before idle ones are looked for.
const RATES_BEFORE_PRUNING: usize = 1_024;

/// The enforced quotas: the two byte rates and the request time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuotaKind {
    Produce,
    Fetch,
    Request,
}

impl QuotaKind {
    const ALL: [QuotaKind; 3] = [QuotaKind::Produce, QuotaKind::Fetch, QuotaKind::Request];

    fn key(self) -> QuotaKey {
        match self {
            QuotaKind::Produce => QuotaKey::ProducerByteRate,
            QuotaKind::Fetch => QuotaKey::ConsumerByteRate,
            QuotaKind::Request => QuotaKey::RequestPercentage,
        }
    }
    fn index(self) -> usize {
        match self {
            QuotaKind::Produce => 0,
            QuotaKind::Fetch => 1,
            QuotaKind::Request => 2,
        }
    }
}

/// A request's handling time in what the request quota counts: percent of one thread for a
/// second (Kafka's `nanosToPercentage`).
fn percent_seconds(time: Duration) -> f64 {
    time.as_secs_f64() * 100.0
}

/// Whose rate: the user and client id as far as the matched entity names them ("" where it
/// does not), Kafka's metric tags.
type RateKey = (String, String);

#[derive(Debug)]
pub(crate) struct QuotaManager {
    store: QuotaStore,
    window: QuotaWindow,
    /// Per [`QuotaKind`]: whether any entity has that quota.
    enabled: [AtomicBool; 3],
    rates: [Mutex<HashMap<RateKey, SampledRate>>; 3],
}

impl QuotaManager {
    pub(crate) fn new(store: QuotaStore, window: QuotaWindow) -> QuotaManager {
        let manager = QuotaManager {
            store,
            window,
            enabled: Default::default(),
            rates: Default::default(),
        };
        let quotas = manager.store.snapshot();
        if !quotas.is_empty() {
            // What is enforced from the first request on, for the operator reading the log.
            tracing::info!(entities = quotas.len(), "client quotas in force");
        }
        manager.refresh_enabled(&quotas);
        manager
    }

    pub(crate) fn snapshot(&self) -> Arc<QuotaMap> {
        self.store.snapshot()
    }

    /// Applies `changes` durably (all or none); enforcement follows at once.
    pub(crate) fn alter(&self, changes: &QuotaChanges) -> Result<()> {
        let next = self.store.alter(changes)?;
        self.refresh_enabled(&next);
        Ok(())
    }

    fn refresh_enabled(&self, quotas: &QuotaMap) {
        for kind in QuotaKind::ALL {
            let any = quotas.values().any(|v| v.contains_key(&kind.key()));
            self.enabled[kind.index()].store(any, Ordering::Relaxed);
        }
    }

    /// Whether any entity has a quota of this kind.
    pub(crate) fn enforces(&self, kind: QuotaKind) -> bool {
        self.enabled[kind.index()].load(Ordering::Relaxed)
    }

    /// The longest throttle handed out. For byte rates the whole quota window (11 s by
    /// Kafka's defaults), which stays below clients' request timeouts however large a burst
    /// was; for request time one window (`quota.window.size.seconds`), as Kafka bounds it, so a
    /// single slow request does not silence a client for long.
    pub(crate) fn max_throttle_ms(&self, kind: QuotaKind) -> u64 {
        let window_ms = self.window.window_ms.max(0) as u64;
        match kind {
            QuotaKind::Produce | QuotaKind::Fetch => u64::from(self.window.samples).saturating_mul(window_ms),
            QuotaKind::Request => window_ms,
        }
    }

    /// Records `bytes` for the client and returns its throttle time in ms (0 within quota).
    pub(crate) fn record(
        &self,
        kind: QuotaKind,
        principal: &str,
        client_id: &str,
        bytes: usize,
        now_ms: i64,
    ) -> u64 {
        if !self.enforces(kind) {
            return 0;
        }
        self.with_rate(kind, principal, client_id, now_ms, |rate, quota| {
            rate.record_and_throttle_ms(bytes as f64, quota, now_ms)
        })
        .unwrap_or(0)
        .min(self.max_throttle_ms(kind))
    }

    /// The throttle time in ms a request of the client earns under its request quota, from
    /// the time recorded so far (0 within quota or without one).
    pub(crate) fn request_throttle_ms(&self, principal: &str, client_id: &str, now_ms: i64) -> u64 {
        if !self.enforces(QuotaKind::Request) {
            return 0;
        }
        self.with_rate(QuotaKind::Request, principal, client_id, now_ms, |rate, quota| {
            rate.throttle_ms(quota, now_ms)
        })
        .unwrap_or(0)
        .min(self.max_throttle_ms(QuotaKind::Request))
    }

    /// Counts `time` spent handling a request of the client against its request quota.
    pub(crate) fn record_request_time(&self, principal: &str, client_id: &str, time: Duration, now_ms: i64) {
        if !self.enforces(QuotaKind::Request) {
            return;
        }
        self.with_rate(QuotaKind::Request, principal, client_id, now_ms, |rate, _| {
            rate.record(percent_seconds(time), now_ms)
        });
    }

    /// Runs `f` on the rate the client's quota of `kind` counts against (made on first use)
    /// and that quota; `None` when no quota of `kind` applies to the client.
    fn with_rate<R>(
        &self,
        kind: QuotaKind,
        principal: &str,
        client_id: &str,
        now_ms: i64,
        f: impl FnOnce(&mut SampledRate, f64) -> R,
    ) -> Option<R> {
        let (rate_key, quota) = self.resolve(kind, principal, client_id)?;
        let mut rates = self.rates[kind.index()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if rates.len() >= RATES_BEFORE_PRUNING && !rates.contains_key(&rate_key) {
            // Saturating: a rate only checked so far has never recorded (`i64::MIN`).
            rates.retain(|_, r| now_ms.saturating_sub(r.last_record_ms) < IDLE_RATE_EXPIRY_MS);
        }
        let rate = rates
            .entry(rate_key)
            .or_insert_with(|| SampledRate::new(self.window));
        Some(f(rate, quota))
    }

    /// Takes back bytes recorded for a response that was not sent (a throttled fetch).
    pub(crate) fn unrecord(
        &self,
        kind: QuotaKind,
        principal: &str,
        client_id: &str,
        bytes: usize,
        now_ms: i64,
    ) {
        let Some((rate_key, _)) = self.resolve(kind, principal, client_id) else {
            return;
        };
        let mut rates = self.rates[kind.index()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(rate) = rates.get_mut(&rate_key) {
            rate.record(-(bytes as f64), now_ms);
        }
    }

    /// The most bytes one response may carry without being throttled for sure (Kafka's
    /// `maxValueInQuotaWindow`): a fetch is capped to it. `None` without a consume quota.
    pub(crate) fn max_fetch_bytes(&self, principal: &str, client_id: &str) -> Option<usize> {
        if !self.enforces(QuotaKind::Fetch) {
            return None;
        }
        let (_, quota) = self.resolve(QuotaKind::Fetch, principal, client_id)?;
        let window_s = self.window.window_ms as f64 / 1000.0;
        Some((quota * f64::from(self.window.samples - 1) * window_s).max(1.0) as usize)
    }

    /// The quota that applies and whose rate it counts against.
    fn resolve(&self, kind: QuotaKind, principal: &str, client_id: &str) -> Option<(RateKey, f64)> {
        let quotas = self.store.snapshot();
        let user = user_of(principal);
        let named = |n: &str| Some(EntityName::Named(n.to_string()));
        let candidates = [
            (named(user), named(client_id)),
            (named(user), Some(EntityName::Default)),
            (named(user), None),
            (Some(EntityName::Default), named(client_id)),
            (Some(EntityName::Default), Some(EntityName::Default)),
            (Some(EntityName::Default), None),
            (None, named(client_id)),
            (None, Some(EntityName::Default)),
        ];
        candidates.into_iter().find_map(|(u, c)| {
            let entity = QuotaEntity {
                user: u,
                client_id: c,
            };
            let quota = *quotas.get(&entity)?.get(&kind.key())?;
            let tag = |present: bool, name: &str| if present { name.to_string() } else { String::new() };
            let key = (
                tag(entity.user.is_some(), user),
                tag(entity.client_id.is_some(), client_id),
            );
            Some((key, quota))
        })
    }
}

/// The user name quotas are set for: the principal without its `User:` type.
fn user_of(principal: &str) -> &str {
    principal.strip_prefix("User:").unwrap_or(principal)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager(
        quotas: &[(Option<EntityName>, Option<EntityName>, f64)],
    ) -> (QuotaManager, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let m = QuotaManager::new(QuotaStore::open(dir.path()).unwrap(), QuotaWindow::default());
        let changes = quotas
            .iter()
            .map(|(u, c, v)| {
                (
                    QuotaEntity {
                        user: u.clone(),
                        client_id: c.clone(),
                    },
                    vec![(QuotaKey::ProducerByteRate, Some(*v))],
                )
            })
            .collect();
        m.alter(&changes).unwrap();
        (m, dir)
    }

    fn named(n: &str) -> Option<EntityName> {
        Some(EntityName::Named(n.into()))
    }

    #[test]
    fn kafka_precedence() {
        let d = Some(EntityName::Default);
        let (m, _dir) = manager(&[
            (None, d.clone(), 1.0),
            (None, named("app"), 2.0),
            (d.clone(), None, 3.0),
            (named("alice"), d.clone(), 4.0),
            (named("alice"), named("app"), 5.0),
        ]);
        let r = |p: &str, c: &str| m.resolve(QuotaKind::Produce, p, c);
        assert_eq!(
            r("User:alice", "app"),
            Some((("alice".into(), "app".into()), 5.0))
        );
        assert_eq!(
            r("User:alice", "other"),
            Some((("alice".into(), "other".into()), 4.0))
        );
        // users/<default> beats clients/app; its rate is per user.
        assert_eq!(r("User:bob", "app"), Some((("bob".into(), String::new()), 3.0)));
        assert_eq!(m.resolve(QuotaKind::Fetch, "User:bob", "app"), None);
        let (m, _dir) = manager(&[(None, d, 1.0), (None, named("app"), 2.0)]);
        assert_eq!(
            m.resolve(QuotaKind::Produce, "User:bob", "x"),
            Some(((String::new(), "x".into()), 1.0))
        );
        assert_eq!(m.record(QuotaKind::Fetch, "User:bob", "x", 1 << 30, 0), 0);
        assert!(m.record(QuotaKind::Produce, "User:bob", "x", 1 << 30, 0) > 0);
        assert_eq!(
            m.record(QuotaKind::Produce, "User:bob", "x", 1 << 30, 0),
            m.max_throttle_ms(QuotaKind::Produce)
        );
    }

    fn request_quota(m: &QuotaManager, client: &str, percent: Option<f64>) {
        let entity = QuotaEntity {
            user: None,
            client_id: named(client),
        };
        m.alter(&vec![(entity, vec![(QuotaKey::RequestPercentage, percent)])])
            .unwrap();
    }

    #[test]
    fn request_time_counts_as_a_percentage_of_one_thread() {
        let dir = tempfile::tempdir().unwrap();
        let window = QuotaWindow {
            samples: 2,
            window_ms: 10_000,
        };
        let m = QuotaManager::new(QuotaStore::open(dir.path()).unwrap(), window);
        assert!(!m.enforces(QuotaKind::Request));
        request_quota(&m, "busy", Some(1.0));
        assert!(m.enforces(QuotaKind::Request));
        assert!(!m.enforces(QuotaKind::Produce));
        let ms = Duration::from_millis;
        // A new client is measured over one whole window, 10 s: 50 ms of handling is 5 %-s,
        // 0.5 % of a thread, within 1 %.
        m.record_request_time("User:a", "busy", ms(50), 0);
        assert_eq!(m.request_throttle_ms("User:a", "busy", 0), 0);
        // 150 ms: 1.5 %, over by half the quota: half the 10 s measured.
        m.record_request_time("User:a", "busy", ms(100), 0);
        assert_eq!(m.request_throttle_ms("User:a", "busy", 0), 5_000);
        // Far over: bounded by one window (Kafka's bound for request quotas).
        m.record_request_time("User:a", "busy", ms(10_000), 0);
        assert_eq!(m.request_throttle_ms("User:a", "busy", 0), 10_000);
        // Byte quotas and other clients do not see it.
        assert_eq!(m.record(QuotaKind::Produce, "User:a", "busy", 1 << 30, 0), 0);
        assert_eq!(m.request_throttle_ms("User:a", "other", 0), 0);
        // Once every window is over, the time is forgotten.
        assert_eq!(m.request_throttle_ms("User:a", "busy", 20_000), 0);
        m.record_request_time("User:a", "busy", ms(10_000), 30_000);
        assert!(m.request_throttle_ms("User:a", "busy", 30_000) > 0);
        // Removing the quota ends enforcement at once.
        request_quota(&m, "busy", None);
        assert!(!m.enforces(QuotaKind::Request));
        assert_eq!(m.request_throttle_ms("User:a", "busy", 30_000), 0);
    }

    #[test]
    fn request_quotas_resolve_like_byte_rates() {
        let dir = tempfile::tempdir().unwrap();
        let m = QuotaManager::new(QuotaStore::open(dir.path()).unwrap(), QuotaWindow::default());
        let d = Some(EntityName::Default);
        let entity =
            |user: Option<EntityName>, client_id: Option<EntityName>| QuotaEntity { user, client_id };
        m.alter(&vec![
            (
                entity(d.clone(), None),
                vec![(QuotaKey::RequestPercentage, Some(25.0))],
            ),
            (
                entity(named("alice"), named("app")),
                vec![(QuotaKey::RequestPercentage, Some(5.0))],
            ),
        ])
        .unwrap();
        assert_eq!(
            m.resolve(QuotaKind::Request, "User:alice", "app"),
            Some((("alice".into(), "app".into()), 5.0))
        );
        assert_eq!(
            m.resolve(QuotaKind::Request, "User:bob", "app"),
            Some((("bob".into(), String::new()), 25.0))
        );
        assert_eq!(m.resolve(QuotaKind::Fetch, "User:bob", "app"), None);
    }
}
