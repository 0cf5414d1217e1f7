//! Kafka's expiry of idle producers: `producer.id.expiration.ms` forgets a producer's
//! idempotence state on a partition it has not written to for that long (unless it has a
//! transaction open there), `transactional.id.expiration.ms` removes a transactional id whose
//! producer has sent no transactional request for that long (unless a transaction is in
//! progress). Each is checked at start and then on its own interval, as in Kafka.

use std::time::Duration;

use spate_log::LogStore;

use crate::txn::TransactionCoordinator;

/// The expiry settings, with Kafka's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpirationConfig {
    /// `producer.id.expiration.ms` (1 day).
    pub producer_id_expiration: Duration,
    /// `producer.id.expiration.check.interval.ms` (10 minutes).
    pub producer_id_check_interval: Duration,
    /// `transactional.id.expiration.ms` (7 days).
    pub transactional_id_expiration: Duration,
    /// `transaction.remove.expired.transaction.cleanup.interval.ms` (1 hour).
    pub transactional_id_check_interval: Duration,
}

impl Default for ExpirationConfig {
    fn default() -> Self {
        ExpirationConfig {
            producer_id_expiration: Duration::from_millis(86_400_000),
            producer_id_check_interval: Duration::from_millis(600_000),
            transactional_id_expiration: Duration::from_millis(604_800_000),
            transactional_id_check_interval: Duration::from_millis(3_600_000),
        }
    }
}

/// Which checks are due, from the maintenance task's clock.
#[derive(Debug)]
pub(crate) struct ExpiryChecks {
    config: ExpirationConfig,
    next_producer_check_ms: i64,
    next_transactional_check_ms: i64,
}

/// What one maintenance pass should check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Due {
    pub producers: bool,
    pub transactional_ids: bool,
}

impl ExpiryChecks {
    /// Checks scheduled one interval after `started_ms` (the start itself checked both).
    pub(crate) fn new(config: ExpirationConfig, started_ms: i64) -> ExpiryChecks {
        ExpiryChecks {
            config,
            next_producer_check_ms: started_ms.saturating_add(millis(config.producer_id_check_interval)),
            next_transactional_check_ms: started_ms
                .saturating_add(millis(config.transactional_id_check_interval)),
        }
    }

    /// The checks due at `now_ms`; each is then scheduled an interval later.
    pub(crate) fn due(&mut self, now_ms: i64) -> Due {
        let mut due = Due::default();
        if now_ms >= self.next_producer_check_ms {
            due.producers = true;
            self.next_producer_check_ms =
                now_ms.saturating_add(millis(self.config.producer_id_check_interval));
        }
        if now_ms >= self.next_transactional_check_ms {
            due.transactional_ids = true;
            self.next_transactional_check_ms =
                now_ms.saturating_add(millis(self.config.transactional_id_check_interval));
        }
        due
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Runs the checks `due` at `now_ms` on the partitions of `store` and the ids of `txn`.
pub(crate) fn expire(
    config: &ExpirationConfig,
    store: &LogStore,
    txn: &TransactionCoordinator,
    due: Due,
    now_ms: i64,
) {
    if due.producers {
        let expired = store.remove_expired_producers(now_ms, millis(config.producer_id_expiration));
        if expired > 0 {
            tracing::info!(
                expired,
                "forgot idempotent producer state idle past producer.id.expiration.ms"
            );
        }
    }
    if due.transactional_ids {
        let removed = txn.expire_transactional_ids(now_ms, millis(config.transactional_id_expiration));
        if !removed.is_empty() {
            tracing::info!(
                ids = ?removed,
                "removed transactional ids idle past transactional.id.expiration.ms"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_check_runs_on_its_own_interval() {
        let config = ExpirationConfig {
            producer_id_check_interval: Duration::from_millis(100),
            transactional_id_check_interval: Duration::from_millis(250),
            ..ExpirationConfig::default()
        };
        let mut checks = ExpiryChecks::new(config, 1_000);
        assert_eq!(checks.due(1_099), Due::default());
        assert_eq!(
            checks.due(1_100),
            Due {
                producers: true,
                transactional_ids: false
            }
        );
        assert_eq!(checks.due(1_150), Due::default());
        assert_eq!(
            checks.due(1_260),
            Due {
                producers: true,
                transactional_ids: true
            }
        );
        // Late passes do not run a check twice to catch up.
        assert_eq!(
            checks.due(5_000),
            Due {
                producers: true,
                transactional_ids: true
            }
        );
        assert_eq!(checks.due(5_099), Due::default());
    }
}
