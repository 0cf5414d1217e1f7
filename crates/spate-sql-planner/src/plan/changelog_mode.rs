//! [`ChangelogMode`]: which kinds of change a plan node's output holds — Flink's
//! `ChangelogMode`, the contract a changelog planner reasons with.
//!
//! A row of a node's output is an insertion (`+I`), the old or new image of an update (`-U`,
//! `+U`) or a deletion (`-D`). A node's mode says which of them it can emit: an append-only
//! node emits only `+I`; an updating aggregate `+I` and `+U` (and `-U` when a consumer needs
//! retractions); a changelog source (`upsert-kafka`, Debezium JSON) everything. Every node the
//! planner builds today emits only `+I`; the updating nodes of Flink's changelog SQL will be
//! the first to say otherwise.

use std::fmt;

use super::LogicalPlan;

/// The change kinds a stream holds (Flink's notation in [`fmt::Display`]: `[I,UB,UA,D]`, and
/// `[NONE]` for a sink, which emits nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChangelogMode {
    /// `+I`.
    pub insert: bool,
    /// `-U`: the row an update replaces.
    pub update_before: bool,
    /// `+U`: the row an update writes.
    pub update_after: bool,
    /// `-D`.
    pub delete: bool,
}

impl ChangelogMode {
    /// Insertions only (append-only).
    pub const INSERT_ONLY: ChangelogMode = ChangelogMode {
        insert: true,
        update_before: false,
        update_after: false,
        delete: false,
    };
    /// Every kind of change (a retracting changelog).
    pub const ALL: ChangelogMode = ChangelogMode {
        insert: true,
        update_before: true,
        update_after: true,
        delete: true,
    };
    /// Insertions, new images of updates and deletions, all by key (an upsert stream).
    pub const UPSERT: ChangelogMode = ChangelogMode {
        insert: true,
        update_before: false,
        update_after: true,
        delete: true,
    };
    /// Nothing (what a sink emits).
    pub const NONE: ChangelogMode = ChangelogMode {
        insert: false,
        update_before: false,
        update_after: false,
        delete: false,
    };

    /// Whether the stream holds insertions only.
    pub fn is_insert_only(self) -> bool {
        self == Self::INSERT_ONLY
    }

    /// Every kind either stream holds (a union of the two).
    pub fn union(self, other: ChangelogMode) -> ChangelogMode {
        ChangelogMode {
            insert: self.insert || other.insert,
            update_before: self.update_before || other.update_before,
            update_after: self.update_after || other.update_after,
            delete: self.delete || other.delete,
        }
    }
}

impl fmt::Display for ChangelogMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds: Vec<&str> = [
            (self.insert, "I"),
            (self.update_before, "UB"),
            (self.update_after, "UA"),
            (self.delete, "D"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        if kinds.is_empty() {
            return f.write_str("[NONE]");
        }
        write!(f, "[{}]", kinds.join(","))
    }
}

/// The changelog formats whose records are a whole changelog (Flink's CDC formats).
const CHANGELOG_FORMATS: &[&str] = &["debezium-json", "canal-json", "maxwell-json", "ogg-json"];

impl LogicalPlan {
    /// The kinds of change this node emits. Stateless nodes pass their inputs' kinds on; a
    /// source's come from its connector and format; windowed aggregates and the joins the
    /// planner builds today take and emit insertions only.
    pub fn changelog_mode(&self) -> ChangelogMode {
        match self {
            LogicalPlan::Scan { table, .. } => {
                let connector = table.option("connector").unwrap_or("");
                let format = table
                    .option("value.format")
                    .or_else(|| table.option("format"))
                    .unwrap_or("");
                if connector.eq_ignore_ascii_case("upsert-kafka") {
                    ChangelogMode::UPSERT
                } else if CHANGELOG_FORMATS.iter().any(|f| format.eq_ignore_ascii_case(f)) {
                    ChangelogMode::ALL
                } else {
                    ChangelogMode::INSERT_ONLY
                }
            }
            LogicalPlan::Values { .. } => ChangelogMode::INSERT_ONLY,
            LogicalPlan::Project { input, .. }
            | LogicalPlan::Filter { input, .. }
            | LogicalPlan::Unnest { input, .. } => input.changelog_mode(),
            LogicalPlan::Union { inputs, .. } => inputs
                .iter()
                .map(LogicalPlan::changelog_mode)
                .fold(ChangelogMode::NONE, ChangelogMode::union),
            LogicalPlan::WindowAssign { .. }
            | LogicalPlan::WindowAggregate { .. }
            | LogicalPlan::AttachedWindowAggregate { .. }
            | LogicalPlan::WindowJoin { .. }
            | LogicalPlan::RegularJoin { .. }
            | LogicalPlan::IntervalJoin { .. } => ChangelogMode::INSERT_ONLY,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_print_in_flinks_notation() {
        assert_eq!(ChangelogMode::INSERT_ONLY.to_string(), "[I]");
        assert_eq!(ChangelogMode::ALL.to_string(), "[I,UB,UA,D]");
        assert_eq!(ChangelogMode::UPSERT.to_string(), "[I,UA,D]");
        assert_eq!(ChangelogMode::NONE.to_string(), "[NONE]");
        let updating = ChangelogMode {
            update_after: true,
            ..ChangelogMode::INSERT_ONLY
        };
        assert_eq!(updating.to_string(), "[I,UA]");
        assert_eq!(
            ChangelogMode::INSERT_ONLY.union(ChangelogMode::UPSERT),
            ChangelogMode::UPSERT
        );
        assert!(!updating.is_insert_only());
    }
}
