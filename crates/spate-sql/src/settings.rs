//! Which `SET` keys a session accepts. A Flink option Spate implements is accepted with a valid
//! value. Any other key in the namespaces Flink's planner and runtime read (`table.`,
//! `execution.`, `pipeline.`, `state.`, `parallelism.`) is refused: Spate would ignore it, and
//! an ignored `table.exec.state.ttl` or mini-batch setting silently changes what a job does
//! (state kept forever, results per record) — the same for a typo of an implemented key. Keys
//! outside those namespaces (the SQL client's `sql-client.*`, a user's own keys) are kept and
//! shown by `SET`, as Flink keeps arbitrary keys.

use crate::connector::parse_duration;
use crate::error::{Result, SqlError};
use crate::job::{NOT_NULL_ENFORCER, NotNullEnforcer};
use crate::zone::SessionZone;

/// The keys in Flink's namespaces that Spate implements (restart-strategy keys are checked by
/// `restart_options`).
const IMPLEMENTED: &[&str] = &[
    "parallelism.default",
    "table.local-time-zone",
    "table.exec.source.idle-timeout",
    "table.exec.state.ttl",
    "table.exec.mini-batch.enabled",
    "table.exec.mini-batch.allow-latency",
    "table.exec.mini-batch.size",
    "table.optimizer.agg-phase-strategy",
    // Flink's LRU cache of Top-N state rows: Spate's keyed state is in memory already, so the
    // size changes nothing a job computes.
    "table.exec.rank.topn-cache-size",
    NOT_NULL_ENFORCER,
    "pipeline.auto-watermark-interval",
    "execution.checkpointing.interval",
    "execution.checkpointing.timeout",
    "execution.checkpointing.min-pause",
    "execution.savepoint.path",
    "execution.savepoint.ignore-unclaimed-state",
    "execution.runtime-mode",
];

/// Namespaces whose unknown keys are refused.
const CHECKED_NAMESPACES: &[&str] = &["table.", "execution.", "pipeline.", "state.", "parallelism."];

/// Known Flink options that change results or state and that Spate does not implement yet,
/// with what Spate does instead.
const NOT_YET: &[(&str, &str)] = &[("state.ttl", "state is kept without expiry")];

/// `sql-client.execution.result-mode`: how the SQL client shows a query's result.
pub const RESULT_MODE: &str = "sql-client.execution.result-mode";

/// How the SQL client shows a `SELECT`'s result (Flink's `ResultMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResultMode {
    /// The result as a table that changes in place: an insertion or update-after adds its
    /// row at the end, a deletion or update-before removes the newest equal row (Flink's
    /// default in its interactive client).
    Table,
    /// Every change as a row led by its kind (`op`), the latest rows kept in view.
    Changelog,
    /// Every change printed once as it arrives, with its kind; the only mode Flink's client
    /// takes for a script (`sql-client.sh -f`).
    Tableau,
}

impl ResultMode {
    /// The mode `value` names (case-insensitive), as Flink parses its enum options.
    pub fn parse(value: &str) -> Option<ResultMode> {
        let v = value.trim();
        [
            ("TABLE", ResultMode::Table),
            ("CHANGELOG", ResultMode::Changelog),
            ("TABLEAU", ResultMode::Tableau),
        ]
        .into_iter()
        .find_map(|(name, mode)| v.eq_ignore_ascii_case(name).then_some(mode))
    }

    /// Flink's message for a query in a script whose result mode is not `tableau`.
    pub fn script_error() -> String {
        format!(
            "In non-interactive mode, it only supports to use TABLEAU as value of {RESULT_MODE} when execute \
             query. Please add 'SET {RESULT_MODE}=TABLEAU;' in the sql file."
        )
    }
}

/// Whether `k = v` may be set; an error saying why not otherwise.
pub(crate) fn validate_setting(k: &str, v: &str) -> Result<()> {
    let bad = |what: &str| SqlError::validation(format!("'{k}' = '{v}': {what}"), None);
    match k {
        "parallelism.default" => {
            v.parse::<usize>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| bad("expected a positive integer"))?;
        }
        "table.local-time-zone" => {
            SessionZone::parse(v).ok_or_else(|| bad(crate::zone::INVALID_ZONE))?;
        }
        "execution.checkpointing.interval"
        | "execution.checkpointing.timeout"
        | "execution.checkpointing.min-pause"
        | "pipeline.auto-watermark-interval"
        | "table.exec.state.ttl"
        | "table.exec.mini-batch.allow-latency"
        | "table.exec.source.idle-timeout" => {
            parse_duration(v).ok_or_else(|| bad("expected a duration like '10 s', '500 ms' or '1 min'"))?;
        }
        "table.optimizer.agg-phase-strategy"
            if !["AUTO", "ONE_PHASE", "TWO_PHASE"]
                .iter()
                .any(|s| v.trim().eq_ignore_ascii_case(s)) =>
        {
            return Err(bad("expected AUTO, ONE_PHASE or TWO_PHASE"));
        }
        "table.exec.mini-batch.enabled"
            if !(v.trim().eq_ignore_ascii_case("true") || v.trim().eq_ignore_ascii_case("false")) =>
        {
            return Err(bad("expected true or false"));
        }
        "table.exec.rank.topn-cache-size" => {
            v.trim()
                .parse::<i64>()
                .map_err(|_| bad("expected an integer (the rows Flink's Top-N caches)"))?;
        }
        "table.exec.mini-batch.size" => {
            v.trim()
                .parse::<i64>()
                .map_err(|_| bad("expected an integer (the most rows one mini-batch holds)"))?;
        }
        NOT_NULL_ENFORCER => {
            NotNullEnforcer::parse(v)?;
        }
        RESULT_MODE if ResultMode::parse(v).is_none() => {
            return Err(SqlError::validation(
                format!(
                    "Could not parse value '{v}' for key '{k}'. Expected one of TABLE, CHANGELOG, TABLEAU."
                ),
                None,
            ));
        }
        "execution.runtime-mode" if !v.trim().eq_ignore_ascii_case("STREAMING") => {
            return Err(bad("Spate runs SQL in streaming mode only (STREAMING)"));
        }
        k if crate::restart_options::is_restart_key(k) => crate::restart_options::check_setting(k, v)?,
        // Flink's `-s`/`allowNonRestoredState`: a savepoint's state that no operator of the new
        // job claims is always refused here, so asking to ignore it is an error, not a no-op.
        "execution.savepoint.ignore-unclaimed-state" if v.trim() != "false" => {
            return Err(bad(
                "state a savepoint holds for an operator the job no longer has is always refused; \
                 keep the operator's uid in the job",
            ));
        }
        "execution.savepoint.path" if v.trim().is_empty() => {
            return Err(bad("expected a savepoint directory"));
        }
        k if IMPLEMENTED.contains(&k) => {}
        k if CHECKED_NAMESPACES.iter().any(|ns| k.starts_with(ns)) => return Err(not_supported(k)),
        _ => {}
    }
    Ok(())
}

fn not_supported(k: &str) -> SqlError {
    if let Some((_, instead)) = NOT_YET.iter().find(|(key, _)| k.starts_with(key)) {
        return SqlError::validation(
            format!("'{k}' is not supported yet ({instead}); remove the SET rather than rely on it"),
            None,
        );
    }
    let hint = crate::suggest::nearest(k, IMPLEMENTED.iter().copied())
        .map(|near| format!("; did you mean '{near}'?"))
        .unwrap_or_default();
    SqlError::validation(
        format!("'{k}' is not supported: Spate does not implement this option and would ignore it{hint}"),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implemented_keys_are_accepted_with_valid_values() {
        for (k, v) in [
            ("parallelism.default", "2"),
            ("table.exec.sink.not-null-enforcer", "drop"),
            ("pipeline.auto-watermark-interval", "0"),
            ("table.exec.state.ttl", "1 h"),
            ("execution.runtime-mode", "streaming"),
            ("restart-strategy.type", "none"),
            ("sql-client.execution.result-mode", "tableau"),
            ("my.own.key", "anything"),
        ] {
            assert!(validate_setting(k, v).is_ok(), "{k}");
        }
        assert!(validate_setting("table.exec.sink.not-null-enforcer", "ignore").is_err());
        assert!(validate_setting(RESULT_MODE, "Changelog").is_ok());
        assert!(validate_setting(RESULT_MODE, "tables").is_err());
        assert_eq!(ResultMode::parse(" table "), Some(ResultMode::Table));
        assert!(validate_setting("execution.runtime-mode", "batch").is_err());
    }

    #[test]
    fn bad_values_and_unknown_flink_keys_are_refused_with_a_reason() {
        let ttl = validate_setting("table.exec.state.ttl", "soon").expect_err("not a duration");
        assert!(ttl.message().contains("expected a duration"), "{}", ttl.message());
        let mini = validate_setting("table.exec.mini-batch.enabled", "maybe").expect_err("refused");
        assert!(
            mini.message().contains("expected true or false"),
            "{}",
            mini.message()
        );
        assert!(validate_setting("table.exec.mini-batch.size", "x").is_err());
        assert!(validate_setting("table.exec.rank.topn-cache-size", "10000").is_ok());
        assert!(validate_setting("table.exec.rank.topn-cache-size", "many").is_err());
        let typo = validate_setting("table.local-timezone", "UTC").expect_err("refused");
        assert!(
            typo.message().contains("table.local-time-zone"),
            "{}",
            typo.message()
        );
    }
}
