//! Content keys of plan nodes: two nodes get the same key exactly when their whole subtrees
//! are equal, which is how the translator finds work it can share.
//!
//! The key used to be the node's `Debug` text. That text holds every node below, so keeping one
//! per node cost the sum over all nodes of their subtree's text: cubic in the number of joined
//! tables (each join's schema holds all columns below it), gigabytes for a 400-way join of
//! 12 KB of SQL. Here a node's key is interned from its own fields' text and its inputs' keys,
//! so each node's text is formatted once and kept once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write;

use crate::plan::LogicalPlan;

/// Equal keys mean equal subtrees (within one [`PlanKeys`]).
pub(crate) type PlanKey = usize;

/// Interns node keys; remembers the keys of the plans being translated by address.
#[derive(Debug, Default)]
pub(crate) struct PlanKeys {
    inner: RefCell<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// A node's own text followed by its inputs' keys → its key.
    interned: HashMap<String, PlanKey>,
    /// Keys of the nodes of [`PlanKeys::pin`]ned plans, by address. Only nodes of plans the
    /// caller keeps borrowed while the pins last are here, so an address cannot be reused.
    pinned: HashMap<usize, PlanKey>,
}

fn address(plan: &LogicalPlan) -> usize {
    std::ptr::from_ref(plan) as usize
}

impl PlanKeys {
    /// Computes and remembers the key of every node of `plan` (until [`Self::unpin`]).
    pub(crate) fn pin(&self, plan: &LogicalPlan) {
        let mut inner = self.inner.borrow_mut();
        let Inner { interned, pinned } = &mut *inner;
        key_of(plan, interned, pinned);
    }

    /// Whether any plan is pinned.
    pub(crate) fn any_pinned(&self) -> bool {
        !self.inner.borrow().pinned.is_empty()
    }

    /// Forgets the pinned nodes (their plans may be dropped now); interned keys stay, so keys
    /// of equal plans translated later still match.
    pub(crate) fn unpin(&self) {
        self.inner.borrow_mut().pinned.clear();
    }

    /// The key of `plan`.
    pub(crate) fn key(&self, plan: &LogicalPlan) -> PlanKey {
        let mut inner = self.inner.borrow_mut();
        if let Some(k) = inner.pinned.get(&address(plan)) {
            return *k;
        }
        // Not pinned: the addresses are only valid during this call.
        let mut local = HashMap::new();
        key_of(plan, &mut inner.interned, &mut local)
    }
}

/// The key of `root`, with the keys of all its nodes put in `memo` (by address); iterative, so
/// the depth of the plan does not matter here.
fn key_of(
    root: &LogicalPlan,
    interned: &mut HashMap<String, PlanKey>,
    memo: &mut HashMap<usize, PlanKey>,
) -> PlanKey {
    // (node, whether its inputs are done)
    let mut stack: Vec<(&LogicalPlan, bool)> = vec![(root, false)];
    while let Some((node, inputs_done)) = stack.pop() {
        if memo.contains_key(&address(node)) {
            continue;
        }
        if !inputs_done {
            stack.push((node, true));
            for input in node.inputs() {
                stack.push((input, false));
            }
            continue;
        }
        let mut text = own_text(node);
        for input in node.inputs() {
            let k = memo.get(&address(input)).copied().unwrap_or(usize::MAX);
            let _ = write!(text, " #{k}");
        }
        let next = interned.len();
        let key = *interned.entry(text).or_insert(next);
        memo.insert(address(node), key);
    }
    memo.get(&address(root)).copied().unwrap_or(usize::MAX)
}

/// Every field of `plan` but its inputs, as `Debug` text. Fields are named one by one (no
/// `..`), so a field added to a node cannot be left out of its key unnoticed.
fn own_text(plan: &LogicalPlan) -> String {
    match plan {
        LogicalPlan::Scan {
            table,
            computed,
            rowtime,
            used,
            schema,
        } => format!("Scan {table:?} {computed:?} {rowtime:?} {used:?} {schema:?}"),
        LogicalPlan::Values { rows, schema } => format!("Values {rows:?} {schema:?}"),
        LogicalPlan::Project {
            input: _,
            exprs,
            schema,
        } => format!("Project {exprs:?} {schema:?}"),
        LogicalPlan::Filter { input: _, predicate } => format!("Filter {predicate:?}"),
        LogicalPlan::Expand {
            input: _,
            keys,
            ids,
            schema,
        } => format!("Expand {keys:?} {ids:?} {schema:?}"),
        LogicalPlan::SinkMaterialize {
            input: _,
            pk,
            upsert_key,
            strategy,
        } => format!("SinkMaterialize {pk:?} {upsert_key:?} {strategy:?}"),
        LogicalPlan::ChangelogNormalize {
            input: _,
            keys,
            condition,
        } => format!("ChangelogNormalize {keys:?} {condition:?}"),
        LogicalPlan::GroupAggregate {
            input: _,
            keys,
            aggs,
            agg_names,
            schema,
            state_ttl,
        } => format!("GroupAggregate {keys:?} {aggs:?} {agg_names:?} {schema:?} {state_ttl:?}"),
        LogicalPlan::WindowAssign {
            input: _,
            window,
            time_col,
            event_time,
            partition_by,
            schema,
        } => format!("WindowAssign {window:?} {time_col} {event_time} {partition_by:?} {schema:?}"),
        LogicalPlan::WindowAggregate {
            input: _,
            window,
            time_col,
            event_time,
            keys,
            properties,
            aggs,
            group_window,
            schema,
        } => format!(
            "WindowAggregate {window:?} {time_col} {event_time} {keys:?} {properties:?} {aggs:?} \
             {group_window} {schema:?}"
        ),
        LogicalPlan::AttachedWindowAggregate {
            input: _,
            window,
            start,
            end,
            keys,
            aggs,
            schema,
        } => format!("AttachedWindowAggregate {window:?} {start} {end} {keys:?} {aggs:?} {schema:?}"),
        LogicalPlan::Unnest {
            input: _,
            collection,
            elements,
            options,
            condition,
            carried,
            schema,
        } => format!("Unnest {collection:?} {elements:?} {options:?} {condition:?} {carried:?} {schema:?}"),
        LogicalPlan::Union { inputs, schema } => format!("Union {} {schema:?}", inputs.len()),
        LogicalPlan::WindowJoin {
            left: _,
            right: _,
            window,
            time_cols,
            keys,
            condition,
            kind,
            schema,
        } => format!("WindowJoin {window:?} {time_cols:?} {keys:?} {condition:?} {kind:?} {schema:?}"),
        LogicalPlan::RegularJoin {
            left: _,
            right: _,
            keys,
            nulls_meet,
            condition,
            kind,
            state_ttl,
            schema,
        } => format!("RegularJoin {keys:?} {nulls_meet:?} {condition:?} {kind:?} {state_ttl:?} {schema:?}"),
        LogicalPlan::TemporalJoin {
            left: _,
            right: _,
            keys,
            time_cols,
            condition,
            kind,
            schema,
        } => format!("TemporalJoin {time_cols:?} {keys:?} {condition:?} {kind:?} {schema:?}"),
        LogicalPlan::LookupJoin {
            left: _,
            right: _,
            keys,
            condition,
            kind,
            schema,
        } => format!("LookupJoin {keys:?} {condition:?} {kind:?} {schema:?}"),
        LogicalPlan::IntervalJoin {
            left: _,
            right: _,
            keys,
            time_cols,
            bounds,
            condition,
            kind,
            schema,
        } => format!("IntervalJoin {time_cols:?} {bounds:?} {keys:?} {condition:?} {kind:?} {schema:?}"),
        LogicalPlan::Over {
            input: _,
            partition_by,
            order_by,
            calls,
            aggs,
            lags,
            frame,
            schema,
        } => format!("Over {partition_by:?} {order_by:?} {calls:?} {aggs:?} {lags:?} {frame:?} {schema:?}"),
        LogicalPlan::Rank {
            input: _,
            partition_by,
            order_by,
            kind,
            range,
            output_rank,
            window,
            schema,
        } => format!(
            "Rank {partition_by:?} {order_by:?} {kind:?} {range:?} {output_rank} {window:?} {schema:?}"
        ),
        LogicalPlan::Deduplicate {
            input: _,
            keys,
            order,
            rowtime,
            keep_last,
            window,
        } => format!("Deduplicate {keys:?} {order} {rowtime} {keep_last} {window:?}"),
        LogicalPlan::TemporalSort {
            input: _,
            order_by,
            rowtime,
        } => format!("TemporalSort {order_by:?} {rowtime}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Field, Schema};
    use crate::types::DataType;

    fn values(n: i64) -> LogicalPlan {
        LogicalPlan::Values {
            rows: vec![vec![crate::expr::BoundExpr::Literal {
                value: crate::value::Value::Int(n),
                ty: DataType::new(crate::types::TypeKind::BigInt),
            }]],
            schema: Schema {
                fields: vec![Field::new("n", DataType::new(crate::types::TypeKind::BigInt))],
            },
        }
    }

    fn union(a: LogicalPlan, b: LogicalPlan) -> LogicalPlan {
        let schema = a.schema().clone();
        LogicalPlan::Union {
            inputs: vec![a, b],
            schema,
        }
    }

    #[test]
    fn equal_subtrees_share_a_key_and_different_ones_do_not() {
        let keys = PlanKeys::default();
        let a = union(values(1), values(2));
        let b = union(values(1), values(2));
        let c = union(values(2), values(1));
        assert_eq!(keys.key(&a), keys.key(&b));
        assert_ne!(keys.key(&a), keys.key(&c));
        keys.pin(&a);
        assert!(keys.any_pinned());
        assert_eq!(keys.key(&a), keys.key(&b));
        keys.unpin();
        assert!(!keys.any_pinned());
        assert_eq!(keys.key(&c), keys.key(&union(values(2), values(1))));
    }
}
