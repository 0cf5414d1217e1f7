//! Flink 2.3's `INSERT .. ON CONFLICT DO ERROR | NOTHING | DEDUPLICATE`: where an upsert sink's
//! primary key is not an upsert key of the query, rows of different query keys can claim one
//! sink row. Flink then puts a sink materializer before the sink
//! ([`LogicalPlan::SinkMaterialize`]) and asks for the clause (`table.exec.sink.require-on-conflict`
//! is on by default).
//!
//! The planning rules and messages are Flink's (`FlinkChangelogModeInferenceProgram`'s
//! `analyzeUpsertMaterializeStrategy`): the clause is for upsert sinks only; `ERROR` and
//! `NOTHING` resolve conflicts when the watermark advances, so every source table needs a
//! watermark; a sink without a primary key, or whose key holds an upsert key of the query,
//! needs no materializer and the clause changes nothing.
//!
//! One deliberate difference: an insert-only query has no upsert key, and Flink 2.3.0 asks
//! such a query into a primary-key sink for the clause too (later 2.3 fixes, FLINK-40324,
//! relax this); Spate writes it without one, as it did before the clause existed.

use crate::ast::{ConflictStrategy, TableDef};
use crate::error::{Result, SqlError};
use crate::plan::changelog_mode::{holds_upsert_key, sink_key_columns};
use crate::plan::{LogicalPlan, UpdateImages, check_upsert_key, sink_update_images};

/// The plan that writes `plan` (conformed to `table`'s columns) into `table` with `clause`:
/// with a materializer where one is needed; Flink's planning error where the clause is
/// missing or not allowed.
pub(super) fn resolve_conflicts(
    table: &TableDef,
    plan: LogicalPlan,
    clause: Option<ConflictStrategy>,
) -> Result<LogicalPlan> {
    let Some(strategy) = clause else {
        check_upsert_key(table, &plan)?;
        return Ok(plan);
    };
    check_upsert_sink(table, &plan)?;
    if strategy != ConflictStrategy::Deduplicate {
        check_watermarks(strategy, &plan)?;
    }
    let Some(pk) = sink_key_columns(table) else {
        return Ok(plan);
    };
    let keys = plan.upsert_keys();
    let differs = !holds_upsert_key(&pk, &keys);
    let insert_only = plan.modify_kinds().is_insert_only();
    if !differs || (insert_only && strategy == ConflictStrategy::Deduplicate) {
        return Ok(plan);
    }
    // Flink's materializer tells rows apart by the input's smallest upsert key.
    let upsert_key = keys
        .into_iter()
        .min_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    Ok(LogicalPlan::SinkMaterialize {
        input: Box::new(plan),
        pk,
        upsert_key,
        strategy,
    })
}

/// Flink's error for the clause on a sink that does not take upserts.
fn check_upsert_sink(table: &TableDef, plan: &LogicalPlan) -> Result<()> {
    let images = sink_update_images(table);
    let updating = !plan.modify_kinds().is_insert_only();
    let upserts = images.is_some_and(|i| i.contains(&UpdateImages::AfterOnly))
        // Flink's print sink takes the mode it is asked for: upserts by its key.
        || (updating && table.primary_key.is_some() && images.is_some());
    if upserts {
        return Ok(());
    }
    let why = if images.is_none() || !updating {
        "it only accepts INSERT (append-only) changes"
    } else {
        "it requires UPDATE_BEFORE (retract mode)"
    };
    Err(SqlError::validation(
        format!(
            "ON CONFLICT clause is only allowed for upsert sinks. The sink \
             'default_catalog.default_database.{}' is not an upsert sink because {why}.",
            table.name
        ),
        None,
    ))
}

/// Flink's error when a source table under an `ERROR` or `NOTHING` sink has no watermark.
fn check_watermarks(strategy: ConflictStrategy, plan: &LogicalPlan) -> Result<()> {
    let mut missing = Vec::new();
    scans_without_watermark(plan, &mut missing);
    missing.dedup();
    if missing.is_empty() {
        return Ok(());
    }
    Err(SqlError::validation(
        format!(
            "ON CONFLICT DO {} requires all source tables to define watermarks, but the following \
             source(s) do not: {}. Please add a WATERMARK declaration to these tables.",
            strategy.name(),
            missing.join(", ")
        ),
        None,
    ))
}

fn scans_without_watermark(plan: &LogicalPlan, out: &mut Vec<String>) {
    if let LogicalPlan::Scan { table, .. } = plan
        && table.watermark.is_none()
    {
        out.push(format!("default_catalog.default_database.{}", table.name));
    }
    for input in plan.inputs() {
        scans_without_watermark(input, out);
    }
}
