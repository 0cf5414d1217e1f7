//! What evaluation reads besides the row ([`EvalContext`]) and how it fails ([`EvalError`]):
//! the leaves every evaluating module shares, kept apart so they import nothing else of `expr`.

/// What an expression may read besides the row.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalContext {
    /// The operator's current watermark in ms (`i64::MIN` before the first).
    pub watermark: i64,
    /// The processing time in ms.
    pub now_millis: i64,
    /// The session time zone (`table.local-time-zone`): `TIMESTAMP_LTZ` values are converted
    /// and shown in it.
    pub zone: crate::zone::SessionZone,
}

/// A data-dependent failure: Flink fails the job with such an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct EvalError(pub String);
