//! Flink's `restart-strategy.*` settings (`SET 'restart-strategy.type' = 'fixed-delay'`) as
//! the engine's [`RestartStrategy`], with Flink's names, values and defaults: without a
//! `restart-strategy.type`, a job that checkpoints uses `exponential-delay` and one that does
//! not uses `none`, as in Flink 2.

use std::collections::BTreeMap;
use std::time::Duration;

use spate_engine::RestartStrategy;

use crate::connector::parse_duration;
use crate::error::{Result, SqlError};
use crate::suggest::did_you_mean;

const TYPE: &str = "restart-strategy.type";
const FIXED_ATTEMPTS: &str = "restart-strategy.fixed-delay.attempts";
const FIXED_DELAY: &str = "restart-strategy.fixed-delay.delay";
const EXP_INITIAL: &str = "restart-strategy.exponential-delay.initial-backoff";
const EXP_MAX: &str = "restart-strategy.exponential-delay.max-backoff";
const EXP_MULTIPLIER: &str = "restart-strategy.exponential-delay.backoff-multiplier";
const EXP_RESET: &str = "restart-strategy.exponential-delay.reset-backoff-threshold";
const EXP_JITTER: &str = "restart-strategy.exponential-delay.jitter-factor";
const EXP_ATTEMPTS: &str = "restart-strategy.exponential-delay.attempts-before-reset-backoff";

const KEYS: &[&str] = &[
    TYPE,
    FIXED_ATTEMPTS,
    FIXED_DELAY,
    EXP_INITIAL,
    EXP_MAX,
    EXP_MULTIPLIER,
    EXP_RESET,
    EXP_JITTER,
    EXP_ATTEMPTS,
];

/// Whether `key` is a restart-strategy setting (checked by [`check_setting`]).
pub(crate) fn is_restart_key(key: &str) -> bool {
    key.starts_with("restart-strategy.")
}

/// Checks one `SET` of a restart-strategy key: a known key with a valid value.
pub(crate) fn check_setting(key: &str, value: &str) -> Result<()> {
    let mut one = BTreeMap::new();
    one.insert(key.to_string(), value.to_string());
    build(&one, true, false).map(drop)
}

/// The strategy the settings in `config` describe; `checkpointing` picks the default type.
pub(crate) fn strategy(config: &BTreeMap<String, String>, checkpointing: bool) -> Result<RestartStrategy> {
    build(config, checkpointing, true)
}

/// [`strategy`]; `whole` when `config` holds every setting (so keys can be checked against
/// each other).
fn build(config: &BTreeMap<String, String>, checkpointing: bool, whole: bool) -> Result<RestartStrategy> {
    for key in config.keys().filter(|k| is_restart_key(k)) {
        if !KEYS.contains(&key.as_str()) {
            return Err(SqlError::validation(
                format!(
                    "unknown setting '{key}'{}",
                    did_you_mean(key, KEYS.iter().copied())
                ),
                None,
            ));
        }
    }
    let bad = |key: &str, what: &str| {
        SqlError::validation(
            format!(
                "'{key}' = '{}': {what}",
                config.get(key).map_or("", String::as_str)
            ),
            None,
        )
    };
    let duration = |key: &str, default: Duration| match config.get(key) {
        None => Ok(default),
        Some(v) => {
            parse_duration(v).ok_or_else(|| bad(key, "expected a duration like '10 s', '500 ms' or '1 min'"))
        }
    };
    let count = |key: &str, default: u32| match config.get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<u32>()
            .map_err(|_| bad(key, "expected a whole number of attempts (0 or more)")),
    };
    let ratio = |key: &str, default: f64, range: std::ops::RangeInclusive<f64>| match config.get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|x| range.contains(x))
            .ok_or_else(|| {
                bad(
                    key,
                    &format!("expected a number from {} to {}", range.start(), range.end()),
                )
            }),
    };
    // Every value is checked, whichever type is chosen, so a typo in a value never waits for
    // the day the type changes.
    let fixed = RestartStrategy::FixedDelay {
        attempts: count(FIXED_ATTEMPTS, 1)?,
        delay: duration(FIXED_DELAY, Duration::from_secs(1))?,
    };
    let initial = duration(EXP_INITIAL, Duration::from_secs(1))?;
    let max = duration(EXP_MAX, Duration::from_secs(60))?;
    if whole && max < initial {
        return Err(bad(
            EXP_MAX,
            "the longest pause cannot be shorter than the initial one",
        ));
    }
    let exponential = RestartStrategy::ExponentialDelay {
        initial,
        max,
        multiplier: ratio(EXP_MULTIPLIER, 1.5, 1.0..=f64::MAX)?,
        reset_after: duration(EXP_RESET, Duration::from_secs(3600))?,
        jitter: ratio(EXP_JITTER, 0.1, 0.0..=1.0)?,
        attempts: count(EXP_ATTEMPTS, u32::MAX)?,
    };
    let Some(kind) = config.get(TYPE) else {
        return Ok(if checkpointing {
            exponential
        } else {
            RestartStrategy::None
        });
    };
    match kind.trim().to_ascii_lowercase().as_str() {
        "none" | "off" | "disable" => Ok(RestartStrategy::None),
        "fixed-delay" | "fixeddelay" => Ok(fixed),
        "exponential-delay" | "exponentialdelay" => Ok(exponential),
        "failure-rate" | "failurerate" => Err(bad(
            TYPE,
            "failure-rate is not supported yet; use fixed-delay or exponential-delay",
        )),
        _ => Err(bad(TYPE, "expected none, fixed-delay or exponential-delay")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn flinks_defaults_depend_on_checkpointing() {
        assert_eq!(strategy(&config(&[]), false).ok(), Some(RestartStrategy::None));
        assert_eq!(
            strategy(&config(&[]), true).ok(),
            Some(RestartStrategy::flink_default_exponential())
        );
    }

    #[test]
    fn fixed_delay_reads_its_keys() {
        let s = strategy(
            &config(&[
                (TYPE, "fixed-delay"),
                (FIXED_ATTEMPTS, "3"),
                (FIXED_DELAY, "200 ms"),
            ]),
            true,
        );
        assert_eq!(
            s.ok(),
            Some(RestartStrategy::FixedDelay {
                attempts: 3,
                delay: Duration::from_millis(200)
            })
        );
    }

    #[test]
    fn bad_settings_are_errors_that_name_the_key() {
        for (pairs, why) in [
            (vec![(TYPE, "sometimes")], "expected none"),
            (vec![(TYPE, "failure-rate")], "not supported"),
            (vec![(FIXED_ATTEMPTS, "-1")], FIXED_ATTEMPTS),
            (vec![(EXP_JITTER, "2")], "from 0 to 1"),
            (vec![(EXP_MAX, "1 s"), (EXP_INITIAL, "2 s")], "shorter"),
            (
                vec![("restart-strategy.fixed-delay.atempts", "2")],
                "did you mean",
            ),
        ] {
            let err = strategy(&config(&pairs), true).map(drop).unwrap_err().to_string();
            assert!(err.contains(why), "{pairs:?}: {err}");
        }
    }
}
