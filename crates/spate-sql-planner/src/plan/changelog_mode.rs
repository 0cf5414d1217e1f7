//! [`ChangelogMode`]: which kinds of change a plan node's output holds — Flink's
//! `ChangelogMode`, the contract a changelog planner reasons with.
//!
//! A row of a node's output is an insertion (`+I`), the old or new image of an update (`-U`,
//! `+U`) or a deletion (`-D`). A node's mode says which of them it can emit: an append-only
//! node emits only `+I`; an updating aggregate `+I` and `+U` (and `-U` when a consumer needs
//! retractions); a changelog source (`upsert-kafka`, Debezium JSON) everything.
//!
//! Modes are inferred as Flink's `FlinkChangelogModeInferenceProgram` infers them, in two passes:
//! bottom-up, which kinds each node can emit ([`LogicalPlan::modify_kinds`]: insertions,
//! updates, deletions); then top-down, from what the consumer accepts, whether updates carry
//! their before-image (`-U`) or the new image alone will do ([`LogicalPlan::changelog_modes`]).
//! A filter cannot pass on updates without their before-images (a row that stops matching must
//! be retracted), and an aggregate over an updating input needs them from its input.

use std::fmt;

use super::{JoinInputView, LogicalPlan};
use crate::ast::{JoinKind, TableDef};
use crate::error::SqlError;

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
const CHANGELOG_FORMATS: &[&str] = &[
    "debezium-json",
    "canal-json",
    "maxwell-json",
    "ogg-json",
    "debezium-avro-confluent",
];

/// Which images of an update a consumer needs (Flink's `UpdateKindTrait`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpdateImages {
    /// The new image alone (`+U`): an upsert consumer, which replaces by key.
    AfterOnly,
    /// Both: `-U` retracts the old row before `+U` adds the new one.
    BeforeAndAfter,
}

impl LogicalPlan {
    /// The kinds of change this node can emit, updates as `+U` only (Flink's first pass, its
    /// `ModifyKindSet`): stateless nodes pass their inputs' kinds on; a source's come from its
    /// connector and format; a `GroupAggregate` inserts and updates, and deletes a group whose
    /// input rows were all retracted when its input is updating; an inner regular join passes
    /// its inputs' kinds on and an outer one emits every kind; window aggregates, window and
    /// interval joins emit insertions only.
    pub fn modify_kinds(&self) -> ChangelogMode {
        let kinds = match self {
            LogicalPlan::Scan { table, .. } => {
                let (connector, format) = connector_and_format(table);
                if connector.eq_ignore_ascii_case("upsert-kafka") {
                    // Upserts and tombstones by key; `ChangelogNormalize` above makes them a
                    // changelog with insertions.
                    ChangelogMode {
                        insert: false,
                        ..ChangelogMode::UPSERT
                    }
                } else if CHANGELOG_FORMATS.iter().any(|f| format.eq_ignore_ascii_case(f)) {
                    ChangelogMode::ALL
                } else {
                    ChangelogMode::INSERT_ONLY
                }
            }
            LogicalPlan::Values { .. } => ChangelogMode::INSERT_ONLY,
            LogicalPlan::ChangelogNormalize { .. } | LogicalPlan::SinkMaterialize { .. } => {
                ChangelogMode::UPSERT
            }
            LogicalPlan::Project { input, .. }
            | LogicalPlan::Expand { input, .. }
            | LogicalPlan::Filter { input, .. }
            | LogicalPlan::Over { input, .. }
            | LogicalPlan::Unnest { input, .. } => input.modify_kinds(),
            // A window Top-N or deduplication emits each window's rows once, when it fires.
            LogicalPlan::Rank { window: Some(_), .. } | LogicalPlan::Deduplicate { window: Some(_), .. } => {
                ChangelogMode::INSERT_ONLY
            }
            // Flink 2.3 (`FlinkChangelogModeInferenceProgram`): a deduplication keeping the
            // first row of an insert-only input is insert-only (on event time it waits for the
            // watermark); anything else a Top-N emits may update and delete. Flink applies the
            // insert-only shortcut to every Top-1 without a rank column that it cannot tell is
            // keep-last (FLINK-40368: ordered by two columns, its updates come as `+U` alone);
            // Spate only to a real deduplication.
            LogicalPlan::Deduplicate { input, keep_last, .. }
                if !keep_last && input.modify_kinds().is_insert_only() =>
            {
                ChangelogMode::INSERT_ONLY
            }
            // Flink's `Limit` (no partition, no order) keeps the first rows: it never
            // retracts them over an insert-only input.
            LogicalPlan::Rank {
                input,
                partition_by,
                order_by,
                window: None,
                ..
            } if partition_by.is_empty() && order_by.is_empty() && input.modify_kinds().is_insert_only() => {
                ChangelogMode::INSERT_ONLY
            }
            LogicalPlan::Rank { .. } | LogicalPlan::Deduplicate { .. } => ChangelogMode {
                update_before: false,
                ..ChangelogMode::ALL
            },
            LogicalPlan::Union { inputs, .. } => inputs
                .iter()
                .map(LogicalPlan::modify_kinds)
                .fold(ChangelogMode::NONE, ChangelogMode::union),
            LogicalPlan::GroupAggregate { input, .. } => ChangelogMode {
                insert: true,
                update_before: false,
                update_after: true,
                delete: !input.modify_kinds().is_insert_only(),
            },
            // An inner join passes its inputs' changes on; an outer join retracts the rows it
            // padded with NULLs when a partner comes, whatever its inputs (Flink's rule).
            LogicalPlan::RegularJoin {
                left, right, kind, ..
            } => {
                if *kind == JoinKind::Inner {
                    left.modify_kinds().union(right.modify_kinds())
                } else {
                    ChangelogMode::ALL
                }
            }
            // Each left row is joined once, when the watermark passes it, and keeps its kind.
            LogicalPlan::TemporalJoin { left, .. } => left.modify_kinds(),
            // Each left row is looked up once as it arrives and keeps its kind (Flink's lookup
            // join passes its input's changelog mode through).
            LogicalPlan::LookupJoin { left, .. } => left.modify_kinds(),
            LogicalPlan::WindowAssign { .. }
            | LogicalPlan::WindowAggregate { .. }
            | LogicalPlan::AttachedWindowAggregate { .. }
            | LogicalPlan::WindowJoin { .. }
            | LogicalPlan::TemporalSort { .. }
            | LogicalPlan::IntervalJoin { .. } => ChangelogMode::INSERT_ONLY,
        };
        ChangelogMode {
            update_before: false,
            ..kinds
        }
    }

    /// The changelog mode of this node and of every node below it, in pre-order (this node,
    /// then each input's subtree, left to right), for a consumer that accepts the images of
    /// `accepted`, tried in order (Flink's second pass). `None` when no choice can be met.
    pub fn changelog_modes(&self, accepted: &[UpdateImages]) -> Option<Vec<ChangelogMode>> {
        accepted.iter().find_map(|&images| {
            let mut modes = Vec::new();
            self.satisfy(Some(images), &mut modes).then_some(modes)
        })
    }

    /// The first of `accepted` this plan's updates can come as (what a sink that accepts
    /// them in that order of preference gets); `None` when none can.
    pub fn update_images_for(&self, accepted: &[UpdateImages]) -> Option<UpdateImages> {
        accepted
            .iter()
            .copied()
            .find(|&images| self.satisfy(Some(images), &mut Vec::new()))
    }

    /// The node's mode for a consumer that needs both images of an update, as a running
    /// query's rows carry them.
    pub fn changelog_mode(&self) -> ChangelogMode {
        self.changelog_modes(&[UpdateImages::BeforeAndAfter])
            .and_then(|m| m.first().copied())
            .unwrap_or_else(|| self.modify_kinds())
    }

    /// Pushes this subtree's modes when its updates can come as `asked` (`None`: the consumer
    /// takes no updates); false when some node cannot.
    fn satisfy(&self, asked: Option<UpdateImages>, modes: &mut Vec<ChangelogMode>) -> bool {
        let kinds = self.modify_kinds();
        let updating = kinds.update_after;
        // Flink: a filter cannot serve an upsert consumer (a row that stops matching must be
        // retracted), so the consumer is asked again for both images.
        if matches!(self, LogicalPlan::Filter { .. }) && asked == Some(UpdateImages::AfterOnly) {
            return false;
        }
        modes.push(ChangelogMode {
            update_before: updating && asked == Some(UpdateImages::BeforeAndAfter),
            ..kinds
        });
        let from_inputs = match self {
            // An aggregate retracts from its accumulators, so it needs the before-images of an
            // updating input whatever its own consumer asks.
            // The materializer finds the row an update replaces by its before-image (Flink
            // asks its input for `-U` too).
            LogicalPlan::GroupAggregate { input, .. }
            | LogicalPlan::WindowAggregate { input, .. }
            | LogicalPlan::SinkMaterialize { input, .. } => {
                let needs = (!input.modify_kinds().is_insert_only()).then_some(UpdateImages::BeforeAndAfter);
                return input.satisfy(needs, modes);
            }
            // A join asks each updating input for both images, or for the new image alone
            // when its own consumer takes upserts and that input keeps one row per join key
            // (an update then replaces it); an input with another key cannot serve an upsert
            // consumer, which is then asked again for both images (Flink's rule).
            LogicalPlan::RegularJoin {
                left, right, keys, ..
            } => {
                let sides = [
                    (left, JoinInputView::of(left, keys.iter().map(|k| &k.0))),
                    (right, JoinInputView::of(right, keys.iter().map(|k| &k.1))),
                ];
                return sides.into_iter().all(|(input, view)| {
                    let needs = if input.modify_kinds().is_insert_only() {
                        None
                    } else if asked == Some(UpdateImages::AfterOnly) {
                        if view != JoinInputView::JoinKeyContainsUniqueKey {
                            return false;
                        }
                        Some(UpdateImages::AfterOnly)
                    } else {
                        Some(UpdateImages::BeforeAndAfter)
                    };
                    input.satisfy(needs, modes)
                });
            }
            // The versioned side's updates come as new images alone: an update is the next
            // version (Flink drops the before-images, `DropUpdateBefore`); the left side's kinds
            // pass through to the consumer.
            LogicalPlan::TemporalJoin { left, right, .. } => {
                let needs = (!right.modify_kinds().is_insert_only()).then_some(UpdateImages::AfterOnly);
                let left_needs = (!left.modify_kinds().is_insert_only()).then_some(asked).flatten();
                return left.satisfy(left_needs, modes) && right.satisfy(needs, modes);
            }
            // The left side's kinds pass through; the lookup table is no input stream.
            LogicalPlan::LookupJoin { left, .. } => {
                let left_needs = (!left.modify_kinds().is_insert_only()).then_some(asked).flatten();
                return left.satisfy(left_needs, modes);
            }
            // A Top-N reads its input as its strategy needs: nothing but insertions, new images
            // alone (`UpdateFastStrategy`), or both images to retract (`RetractStrategy`).
            LogicalPlan::Rank {
                input,
                partition_by,
                order_by,
                window: None,
                ..
            } => {
                let needs = match super::rank::effective_rank_strategy(input, partition_by, order_by) {
                    super::RankStrategy::AppendFast => None,
                    super::RankStrategy::UpdateFast(_) => Some(UpdateImages::AfterOnly),
                    super::RankStrategy::Retract => Some(UpdateImages::BeforeAndAfter),
                };
                return input.satisfy(needs, modes);
            }
            LogicalPlan::Project { .. }
            | LogicalPlan::Expand { .. }
            | LogicalPlan::Filter { .. }
            | LogicalPlan::Over { .. }
            | LogicalPlan::Unnest { .. }
            | LogicalPlan::Union { .. } => asked,
            _ => None,
        };
        self.inputs()
            .into_iter()
            .all(|input| input.satisfy(from_inputs, modes))
    }
}

/// A table's connector and its (value) format, empty where unset.
fn connector_and_format(table: &TableDef) -> (&str, &str) {
    let connector = table.option("connector").unwrap_or("");
    let format = table
        .option("value.format")
        .or_else(|| table.option("format"))
        .unwrap_or("");
    (connector, format)
}

/// What a sink table accepts of an updating input, in Flink's order of preference; `None` for
/// an append-only sink. `print` writes every kind with its before-image; `blackhole` and
/// `upsert-kafka` take anything, upserts first (`upsert-kafka` writes a `-U` as a tombstone); Kafka with a changelog format writes whole changelogs; Kafka with
/// another format and files take insertions only. `jdbc` takes upserts with a primary key
/// (it writes `+I`/`+U` as upserts and `-D` as deletes) and insertions only without one.
pub fn sink_update_images(table: &TableDef) -> Option<&'static [UpdateImages]> {
    let (connector, format) = connector_and_format(table);
    if connector.eq_ignore_ascii_case("jdbc") {
        return table
            .primary_key
            .is_some()
            .then_some(&[UpdateImages::AfterOnly, UpdateImages::BeforeAndAfter][..]);
    }
    // Flink's Iceberg sink takes every kind it is offered; its deletes name the primary key
    // (the equality fields). Without one Flink would append retractions as rows; Spate refuses.
    if connector.eq_ignore_ascii_case("iceberg") {
        return table
            .primary_key
            .is_some()
            .then_some(&[UpdateImages::BeforeAndAfter][..]);
    }
    if connector.eq_ignore_ascii_case("print") {
        Some(&[UpdateImages::BeforeAndAfter])
    } else if connector.eq_ignore_ascii_case("blackhole") || connector.eq_ignore_ascii_case("upsert-kafka") {
        Some(&[UpdateImages::AfterOnly, UpdateImages::BeforeAndAfter])
    } else if CHANGELOG_FORMATS.iter().any(|f| format.eq_ignore_ascii_case(f)) {
        Some(&[UpdateImages::BeforeAndAfter])
    } else {
        None
    }
}

/// Flink's error for an updating query into a `jdbc` table without a primary key.
pub const JDBC_NEEDS_A_KEY: &str =
    "please declare primary key for sink table when query contains update/delete record.";

/// Flink's planning error when `plan` emits changes `table` cannot take: `Table sink
/// 'default_catalog.default_database.out' doesn't support consuming update changes which is
/// produced by node GroupAggregate(..)`.
pub fn check_sink_accepts(table: &TableDef, plan: &LogicalPlan) -> Result<(), SqlError> {
    let kinds = plan.modify_kinds();
    if kinds.is_insert_only() || sink_update_images(table).is_some() {
        return Ok(());
    }
    if table
        .option("connector")
        .is_some_and(|c| c.eq_ignore_ascii_case("jdbc"))
    {
        // Flink's `JdbcDynamicTableSink.validatePrimaryKey`, word for word.
        return Err(SqlError::validation(JDBC_NEEDS_A_KEY, None));
    }
    if table
        .option("connector")
        .is_some_and(|c| c.eq_ignore_ascii_case("iceberg"))
    {
        return Err(SqlError::validation(
            format!(
                "an updating query into the iceberg table {} needs a PRIMARY KEY: its updates and deletes are written as equality deletes by the key (Flink would append the retractions as rows)",
                table.name
            ),
            None,
        ));
    }
    let changes: Vec<&str> = [(kinds.update_after, "update"), (kinds.delete, "delete")]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
    Err(SqlError::validation(
        format!(
            "Table sink 'default_catalog.default_database.{}' doesn't support consuming {} changes which is produced by node {}",
            table.name,
            changes.join(" and "),
            producer(plan).flink_node_string()
        ),
        None,
    ))
}

/// Flink 2.3's planning error when an updating query goes into a sink whose primary key is not
/// one of the query's upsert keys (checked on the plan conformed to the sink's columns): rows
/// of different query keys could then overwrite each other's sink row. Flink asks for an
/// `ON CONFLICT` clause there (`on_conflict`).
pub fn check_upsert_key(table: &TableDef, plan: &LogicalPlan) -> Result<(), SqlError> {
    let Some(pk) = &table.primary_key else {
        return Ok(());
    };
    if plan.modify_kinds().is_insert_only() {
        return Ok(());
    }
    let keys = plan.upsert_keys();
    if sink_key_columns(table).is_some_and(|pk| holds_upsert_key(&pk, &keys)) {
        return Ok(());
    }
    let names: Vec<&str> = plan.schema().fields.iter().map(|f| f.name.as_str()).collect();
    let shown: Vec<String> = keys
        .iter()
        .map(|k| {
            let cols: Vec<&str> = k.iter().filter_map(|c| names.get(*c).copied()).collect();
            format!("[{}]", cols.join(", "))
        })
        .collect();
    let pk_names: Vec<&str> = pk.columns.iter().map(|c| c.as_str()).collect();
    Err(SqlError::validation(
        format!(
            "The query has an upsert key that differs from the primary key of the sink table \
             'default_catalog.default_database.{}'. Primary key: [{}], upsert key: {}. This can lead to \
             non-deterministic results when multiple records with different upsert keys map to the same \
             primary key. Please specify an ON CONFLICT clause to define how conflicts should be handled: \
             ON CONFLICT DO DEDUPLICATE (update to the latest record, state intensive, since we need to keep \
             the entire history), or ON CONFLICT DO ERROR (fail on conflict), or ON CONFLICT DO NOTHING \
             (keep first record).",
            table.name,
            pk_names.join(", "),
            shown.join(", ")
        ),
        None,
    ))
}

/// The columns of a plan conformed to `table`'s columns that hold the table's primary key
/// (by position: a query's column feeds the sink column in its place, whatever its name);
/// `None` without a key.
pub(crate) fn sink_key_columns(table: &TableDef) -> Option<Vec<usize>> {
    let pk = table.primary_key.as_ref()?;
    pk.columns
        .iter()
        .map(|c| {
            table
                .persisted_columns()
                .position(|p| p.name.as_str() == c.as_str())
        })
        .collect()
}

/// Whether one of `upsert_keys` lies within the sink's key columns `pk`: then rows of different
/// query keys never claim one sink row.
pub(crate) fn holds_upsert_key(pk: &[usize], upsert_keys: &[Vec<usize>]) -> bool {
    upsert_keys.iter().any(|k| k.iter().all(|c| pk.contains(c)))
}

/// The node Flink's message names: the updating node reached through the nodes that pass a
/// requirement on (projections, filters, unnests, unions), as Flink's first pass reaches it.
fn producer(plan: &LogicalPlan) -> &LogicalPlan {
    match plan {
        LogicalPlan::Project { input, .. }
        | LogicalPlan::Filter { input, .. }
        | LogicalPlan::Unnest { input, .. } => producer(input),
        LogicalPlan::Union { inputs, .. } => inputs
            .iter()
            .find(|i| !i.modify_kinds().is_insert_only())
            .map_or(plan, producer),
        other => other,
    }
}

impl LogicalPlan {
    /// Fails where a node that takes insertions only (window table functions, processing-time
    /// window aggregates, window and interval joins) reads an updating input.
    pub fn check_changelog_inputs(&self) -> Result<(), SqlError> {
        for input in self.inputs() {
            input.check_changelog_inputs()?;
        }
        // Flink aggregates event-time windows over updating inputs (retracting from the
        // windows), window TVFs and legacy group windows alike. Processing-time windows over
        // updates (Flink puts each change in the window of its arrival) are not done yet.
        let retracting_window = matches!(self, LogicalPlan::WindowAggregate { event_time: true, .. });
        let insert_only_inputs = !retracting_window
            && matches!(
                self,
                LogicalPlan::WindowAssign { .. }
                    | LogicalPlan::WindowAggregate { .. }
                    | LogicalPlan::AttachedWindowAggregate { .. }
                    | LogicalPlan::WindowJoin { .. }
                    | LogicalPlan::IntervalJoin { .. }
                    | LogicalPlan::Rank { window: Some(_), .. }
                    | LogicalPlan::Over { .. }
                    | LogicalPlan::Deduplicate { .. }
            );
        let updating = self
            .inputs()
            .into_iter()
            .find(|i| !i.modify_kinds().is_insert_only());
        // Flink refuses these joins over updates for good, in its own words.
        let flink_refuses = match self {
            LogicalPlan::IntervalJoin { .. } => Some("StreamPhysicalIntervalJoin"),
            LogicalPlan::WindowJoin { .. } => Some("StreamPhysicalWindowJoin"),
            LogicalPlan::TemporalSort { .. } => Some("StreamPhysicalTemporalSort"),
            _ => None,
        };
        if let (Some(input), Some(node)) = (updating, flink_refuses) {
            // Flink names the kinds the input has beyond insertions.
            let kinds = input.modify_kinds();
            let changes: Vec<&str> = [(kinds.update_after, "update"), (kinds.delete, "delete")]
                .into_iter()
                .filter_map(|(on, name)| on.then_some(name))
                .collect();
            return Err(SqlError::validation(
                format!(
                    "{node} doesn't support consuming {} changes which is produced by node {}",
                    changes.join(" and "),
                    producer(input).flink_node_string()
                ),
                None,
            ));
        }
        match updating {
            Some(input) if insert_only_inputs => Err(SqlError::not_yet_in_streaming(
                format!(
                    "{} over an updating input (produced by node {})",
                    self.flink_node_string(),
                    producer(input).flink_node_string()
                ),
                None,
            )),
            _ => Ok(()),
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
