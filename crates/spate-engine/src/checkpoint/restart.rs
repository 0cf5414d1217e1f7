//! Restart strategies: what a job does when an attempt fails, and the record of each decision
//! (for progress output, the server's exception history and its dashboard).
//!
//! The strategies and their defaults are Flink's (`restart-strategy.type`): `none`,
//! `fixed-delay`, and `exponential-delay`, Flink's default when checkpointing is on. A
//! decision is a pure function of the strategy, the failures so far and how long the failed
//! attempt ran ([`RestartStrategy::decide`]), so it is tested without running jobs.

use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, SystemTime};

/// What happens when a task fails (an error or a panic in user code, a connector error).
/// Fatal errors ([`crate::EngineError::is_fatal`]) are never retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RestartStrategy {
    /// The job fails with the first error.
    None,
    /// Restart from the latest completed checkpoint up to `attempts` times, `delay` apart.
    FixedDelay {
        /// Restarts allowed over the job's life.
        attempts: u32,
        /// Pause before each restart.
        delay: Duration,
    },
    /// Flink's `exponential-delay`: the pause starts at `initial` and is multiplied by
    /// `multiplier` after each restart, up to `max`; an attempt that ran `reset_after` without
    /// failing starts the series again. `jitter` (0 to 1) moves each pause by up to that
    /// fraction either way, so jobs that failed together do not all come back at once. After
    /// `attempts` restarts without a reset the job fails.
    ExponentialDelay {
        /// The first pause.
        initial: Duration,
        /// The longest pause.
        max: Duration,
        /// Growth of the pause per restart (at least 1).
        multiplier: f64,
        /// An attempt that ran this long resets the pause and the count.
        reset_after: Duration,
        /// Fraction of the pause added or taken at random (0 to 1).
        jitter: f64,
        /// Restarts allowed between two resets.
        attempts: u32,
    },
}

impl RestartStrategy {
    /// Flink's `exponential-delay` with Flink's defaults: 1 s growing by 1.5× to 1 min, reset
    /// after 1 h without failure, 10 % jitter, no limit on attempts.
    pub fn flink_default_exponential() -> Self {
        RestartStrategy::ExponentialDelay {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
            multiplier: 1.5,
            reset_after: Duration::from_secs(3600),
            jitter: 0.1,
            attempts: u32::MAX,
        }
    }

    /// Flink's name of the strategy (`restart-strategy.type`).
    pub fn name(&self) -> &'static str {
        match self {
            RestartStrategy::None => "none",
            RestartStrategy::FixedDelay { .. } => "fixed-delay",
            RestartStrategy::ExponentialDelay { .. } => "exponential-delay",
        }
    }

    /// Decides after a failure: `fatal` says whether restarting could help, `ran_for` how long
    /// the failed attempt ran. Updates `series` (the failures counted so far).
    pub fn decide(&self, series: &mut RestartSeries, fatal: bool, ran_for: Duration) -> RestartDecision {
        if fatal {
            return RestartDecision::Fail {
                reason: "the error is fatal: restarting cannot help".into(),
            };
        }
        match *self {
            RestartStrategy::None => RestartDecision::Fail {
                reason: "the restart strategy is none".into(),
            },
            RestartStrategy::FixedDelay { attempts, delay } => {
                if series.restarts >= attempts {
                    return RestartDecision::Fail {
                        reason: format!("fixed-delay allows {attempts} restart(s), all used"),
                    };
                }
                series.restarts += 1;
                RestartDecision::Restart {
                    attempt: series.restarts,
                    delay,
                }
            }
            RestartStrategy::ExponentialDelay {
                initial,
                max,
                multiplier,
                reset_after,
                jitter,
                attempts,
            } => {
                if ran_for >= reset_after {
                    series.since_reset = 0;
                    series.backoff = None;
                }
                if series.since_reset >= attempts {
                    return RestartDecision::Fail {
                        reason: format!(
                            "exponential-delay allows {attempts} restart(s) before a reset, all used"
                        ),
                    };
                }
                let pause = match series.backoff {
                    None => initial,
                    Some(last) => last.mul_f64(multiplier.max(1.0)).min(max),
                };
                series.backoff = Some(pause);
                series.since_reset += 1;
                series.restarts += 1;
                RestartDecision::Restart {
                    attempt: series.restarts,
                    delay: jittered(pause, jitter),
                }
            }
        }
    }
}

/// The failures a job's restart strategy has counted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestartSeries {
    /// Restarts over the job's life.
    pub restarts: u32,
    /// Restarts since the exponential pause was last reset.
    since_reset: u32,
    /// The last exponential pause before jitter.
    backoff: Option<Duration>,
}

/// What the restart strategy decided after a failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestartDecision {
    /// The job restarts from its latest checkpoint after `delay`; this is its `attempt`-th
    /// restart.
    Restart {
        /// Restarts so far, this one included.
        attempt: u32,
        /// Pause before it.
        delay: Duration,
    },
    /// The job fails.
    Fail {
        /// Why it is not restarted.
        reason: String,
    },
}

/// One failed attempt and what was decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureRecord {
    /// When the attempt failed.
    pub at: SystemTime,
    /// The error.
    pub error: String,
    /// The restart strategy's decision.
    pub decision: RestartDecision,
}

/// Failures kept in [`crate::JobProgress::failures`] (the oldest are dropped).
pub const FAILURES_KEPT: usize = 32;

/// `pause` moved by up to `jitter` of itself either way, at random.
fn jittered(pause: Duration, jitter: f64) -> Duration {
    let jitter = jitter.clamp(0.0, 1.0);
    if jitter == 0.0 {
        return pause;
    }
    // A random number from the standard library's per-process hash keys.
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    let unit = (h.finish() >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
    pause.mul_f64(1.0 + jitter * (2.0 * unit - 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restart_delay(d: &RestartDecision) -> Duration {
        match d {
            RestartDecision::Restart { delay, .. } => *delay,
            RestartDecision::Fail { reason } => panic!("failed: {reason}"),
        }
    }

    #[test]
    fn fixed_delay_restarts_its_attempts_then_fails() {
        let s = RestartStrategy::FixedDelay {
            attempts: 2,
            delay: Duration::from_millis(10),
        };
        let mut series = RestartSeries::default();
        for attempt in 1..=2 {
            assert_eq!(
                s.decide(&mut series, false, Duration::ZERO),
                RestartDecision::Restart {
                    attempt,
                    delay: Duration::from_millis(10)
                }
            );
        }
        assert!(matches!(
            s.decide(&mut series, false, Duration::from_secs(99_999)),
            RestartDecision::Fail { .. }
        ));
    }

    #[test]
    fn exponential_delay_grows_to_its_max_and_resets_after_a_long_run() {
        let s = RestartStrategy::ExponentialDelay {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(5),
            multiplier: 2.0,
            reset_after: Duration::from_secs(60),
            jitter: 0.0,
            attempts: u32::MAX,
        };
        let mut series = RestartSeries::default();
        let pauses: Vec<u64> = (0..5)
            .map(|_| restart_delay(&s.decide(&mut series, false, Duration::from_secs(1))).as_secs())
            .collect();
        assert_eq!(pauses, [1, 2, 4, 5, 5]);
        // A long healthy run starts the series again; the life-long count goes on.
        let d = s.decide(&mut series, false, Duration::from_secs(61));
        assert_eq!(
            d,
            RestartDecision::Restart {
                attempt: 6,
                delay: Duration::from_secs(1)
            }
        );
    }

    #[test]
    fn exponential_delay_fails_after_its_attempts_and_jitter_stays_in_bounds() {
        let s = RestartStrategy::ExponentialDelay {
            initial: Duration::from_secs(10),
            max: Duration::from_secs(10),
            multiplier: 1.5,
            reset_after: Duration::from_secs(3600),
            jitter: 0.1,
            attempts: 3,
        };
        let mut series = RestartSeries::default();
        for _ in 0..3 {
            let d = restart_delay(&s.decide(&mut series, false, Duration::ZERO));
            assert!(
                d >= Duration::from_secs(9) && d <= Duration::from_secs(11),
                "{d:?}"
            );
        }
        assert!(matches!(
            s.decide(&mut series, false, Duration::ZERO),
            RestartDecision::Fail { .. }
        ));
    }

    #[test]
    fn fatal_errors_and_the_none_strategy_never_restart() {
        let mut series = RestartSeries::default();
        assert!(matches!(
            RestartStrategy::flink_default_exponential().decide(&mut series, true, Duration::ZERO),
            RestartDecision::Fail { .. }
        ));
        assert!(matches!(
            RestartStrategy::None.decide(&mut series, false, Duration::ZERO),
            RestartDecision::Fail { .. }
        ));
        assert_eq!(series.restarts, 0);
    }
}
