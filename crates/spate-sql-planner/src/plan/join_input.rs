//! How a regular join keeps one input's rows, from what the planner knows of that input
//! (Flink's `JoinInputSideSpec`): the three state views of Flink's streaming join.
//!
//! A side whose unique key lies within its join key has at most one row per join key, so the
//! join keeps that row alone and an update replaces it — which is also why only such a side
//! may send updates without their before-images (`+U` alone). A side with another unique key
//! keeps its rows by that key; a side with none keeps each distinct row with a count.

use super::LogicalPlan;
use crate::expr::BoundExpr;

/// Which of Flink's three join state views one input of a regular join gets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum JoinInputView {
    /// The input's unique key lies within its join key: one row per join key
    /// (`JoinKeyContainsUniqueKey`).
    JoinKeyContainsUniqueKey,
    /// Rows kept by this unique key, input column indexes (`HasUniqueKey`).
    HasUniqueKey(Vec<usize>),
    /// Rows kept with a count of their copies (`NoUniqueKey`).
    NoUniqueKey,
}

impl JoinInputView {
    /// The view of `input`, joined on `join_key` (its side's key expressions).
    pub fn of<'e>(input: &LogicalPlan, join_key: impl IntoIterator<Item = &'e BoundExpr>) -> Self {
        let key_columns: Vec<usize> = join_key.into_iter().filter_map(BoundExpr::as_column).collect();
        let unique = input.upsert_keys();
        if unique.iter().any(|k| k.iter().all(|c| key_columns.contains(c))) {
            return JoinInputView::JoinKeyContainsUniqueKey;
        }
        // The smallest key keeps the state's map keys small (`upsert_keys` sorts by size).
        match unique.into_iter().next() {
            Some(key) => JoinInputView::HasUniqueKey(key),
            None => JoinInputView::NoUniqueKey,
        }
    }

    /// Flink's name, as its plans print it.
    pub fn flink_name(&self) -> &'static str {
        match self {
            JoinInputView::JoinKeyContainsUniqueKey => "JoinKeyContainsUniqueKey",
            JoinInputView::HasUniqueKey(_) => "HasUniqueKey",
            JoinInputView::NoUniqueKey => "NoUniqueKey",
        }
    }
}
