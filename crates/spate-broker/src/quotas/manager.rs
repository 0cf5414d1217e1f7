//! Enforcement of the produce and consume byte-rate quotas, Kafka's `ClientQuotaManager` with
//! its default callback: which quota applies to a (user, client id), the rate measured per the
//! entity that quota belongs to, and the throttle time a request earns.
//!
//! Resolution, first match wins per key (Kafka's order): `users/U/clients/C`,
//! `users/U/clients/<default>`, `users/U`, `users/<default>/clients/C`,
//! `users/<default>/clients/<default>`, `users/<default>`, `clients/C`, `clients/<default>`.
//! A default applies to each user or client id on its own: the rate is kept per actual name of
//! every component the matched entity has, as Kafka's metric tags are.
//!
//! Cost when no quota of a kind is configured: one relaxed atomic load per request.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::entity::{EntityName, QuotaEntity, QuotaKey};
use super::rate::{QuotaWindow, SampledRate};
use super::store::{QuotaChanges, QuotaMap, QuotaStore};
use crate::Result;

/// Rates unused this long are dropped (Kafka expires quota sensors after an hour).
const IDLE_RATE_EXPIRY_MS: i64 = 3_600_000;
/// Rates kept before idle ones are looked for.
const RATES_BEFORE_PRUNING: usize = 1_024;

/// The two byte-rate quotas that are enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ByteQuota {
    Produce,
    Fetch,
}

impl ByteQuota {
    fn key(self) -> QuotaKey {
        match self {
            ByteQuota::Produce => QuotaKey::ProducerByteRate,
            ByteQuota::Fetch => QuotaKey::ConsumerByteRate,
        }
    }
    fn index(self) -> usize {
        match self {
            ByteQuota::Produce => 0,
            ByteQuota::Fetch => 1,
        }
    }
}

/// Whose rate: the user and client id as far as the matched entity names them ("" where it
/// does not), Kafka's metric tags.
type RateKey = (String, String);

#[derive(Debug)]
pub(crate) struct QuotaManager {
    store: QuotaStore,
    window: QuotaWindow,
    /// Per [`ByteQuota`]: whether any entity has that quota.
    enabled: [AtomicBool; 2],
    rates: [Mutex<HashMap<RateKey, SampledRate>>; 2],
}

impl QuotaManager {
    pub(crate) fn new(store: QuotaStore, window: QuotaWindow) -> QuotaManager {
        let manager = QuotaManager {
            store,
            window,
            enabled: [AtomicBool::new(false), AtomicBool::new(false)],
            rates: [Mutex::new(HashMap::new()), Mutex::new(HashMap::new())],
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
        for kind in [ByteQuota::Produce, ByteQuota::Fetch] {
            let any = quotas.values().any(|v| v.contains_key(&kind.key()));
            self.enabled[kind.index()].store(any, Ordering::Relaxed);
        }
    }

    /// Whether any entity has a quota of this kind.
    pub(crate) fn enforces(&self, kind: ByteQuota) -> bool {
        self.enabled[kind.index()].load(Ordering::Relaxed)
    }

    /// The longest throttle handed out: the whole quota window (11 s by Kafka's defaults),
    /// which stays below clients' request timeouts however large a burst was.
    pub(crate) fn max_throttle_ms(&self) -> u64 {
        u64::from(self.window.samples).saturating_mul(self.window.window_ms.max(0) as u64)
    }

    /// Records `bytes` for the client and returns its throttle time in ms (0 within quota).
    pub(crate) fn record(
        &self,
        kind: ByteQuota,
        principal: &str,
        client_id: &str,
        bytes: usize,
        now_ms: i64,
    ) -> u64 {
        if !self.enforces(kind) {
            return 0;
        }
        let Some((rate_key, quota)) = self.resolve(kind, principal, client_id) else {
            return 0;
        };
        let mut rates = self.rates[kind.index()]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if rates.len() >= RATES_BEFORE_PRUNING && !rates.contains_key(&rate_key) {
            rates.retain(|_, r| now_ms - r.last_record_ms < IDLE_RATE_EXPIRY_MS);
        }
        let rate = rates
            .entry(rate_key)
            .or_insert_with(|| SampledRate::new(self.window));
        rate.record_and_throttle_ms(bytes as f64, quota, now_ms)
            .min(self.max_throttle_ms())
    }

    /// Takes back bytes recorded for a response that was not sent (a throttled fetch).
    pub(crate) fn unrecord(
        &self,
        kind: ByteQuota,
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
        if !self.enforces(ByteQuota::Fetch) {
            return None;
        }
        let (_, quota) = self.resolve(ByteQuota::Fetch, principal, client_id)?;
        let window_s = self.window.window_ms as f64 / 1000.0;
        Some((quota * f64::from(self.window.samples - 1) * window_s).max(1.0) as usize)
    }

    /// The quota that applies and whose rate it counts against.
    fn resolve(&self, kind: ByteQuota, principal: &str, client_id: &str) -> Option<(RateKey, f64)> {
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
        let r = |p: &str, c: &str| m.resolve(ByteQuota::Produce, p, c);
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
        assert_eq!(m.resolve(ByteQuota::Fetch, "User:bob", "app"), None);
        let (m, _dir) = manager(&[(None, d, 1.0), (None, named("app"), 2.0)]);
        assert_eq!(
            m.resolve(ByteQuota::Produce, "User:bob", "x"),
            Some(((String::new(), "x".into()), 1.0))
        );
        assert_eq!(m.record(ByteQuota::Fetch, "User:bob", "x", 1 << 30, 0), 0);
        assert!(m.record(ByteQuota::Produce, "User:bob", "x", 1 << 30, 0) > 0);
        assert_eq!(
            m.record(ByteQuota::Produce, "User:bob", "x", 1 << 30, 0),
            m.max_throttle_ms()
        );
    }
}
