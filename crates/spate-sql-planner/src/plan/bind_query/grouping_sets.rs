//! `GROUP BY GROUPING SETS (..)`, `ROLLUP (..)` and `CUBE (..)`, as Flink plans them (the
//! aggregates over the expansion are bound in `group_by.rs`): an `Expand` that emits each row once per grouping set (the keys a set
//! leaves out `NULL`, the set's id `$e` after them), under one `GroupAggregate` grouping by the
//! keys and `$e`. `GROUPING(..)` and `GROUPING_ID(..)` read `$e`.
//!
//! Flink runs the sets in its own order, not the order written: larger key sets first (the
//! sets ordered by the number whose bit `i` is set when the set holds key `i`, descending), and
//! a set written twice once.

use super::*;
use crate::expr::{CmpOp, ScalarFunc};
use crate::value::Value;

/// What `GROUPING(..)` and `GROUPING_ID(..)` read: the aggregate's `$e` column and each
/// set's id.
#[derive(Debug, Clone)]
pub(super) struct GroupingIds {
    /// The `$e` column of the aggregate's output.
    pub(super) column: usize,
    /// The number of grouping keys.
    pub(super) keys: usize,
    /// The sets' ids.
    pub(super) ids: Vec<i64>,
}

impl GroupingIds {
    /// `GROUPING(k..)` / `GROUPING_ID(k..)` of the keys at `positions`: per set, bit
    /// `m - 1 - j` set when the set leaves out the `j`-th argument (`BIGINT NOT NULL`, a
    /// `CASE` over `$e`).
    pub(super) fn call(&self, positions: &[usize], e_type: &DataType) -> BoundExpr {
        let bigint = DataType::new(TypeKind::BigInt).not_null();
        let lit = |v: i64, ty: &DataType| BoundExpr::Literal {
            value: Value::Int(v),
            ty: ty.clone(),
        };
        let m = positions.len();
        let mut args = Vec::with_capacity(self.ids.len() * 2 + 1);
        for id in &self.ids {
            let value = positions.iter().enumerate().fold(0i64, |acc, (j, &p)| {
                let absent = (id >> (self.keys - 1 - p)) & 1;
                acc | (absent << (m - 1 - j))
            });
            args.push(BoundExpr::Call {
                func: ScalarFunc::Compare(CmpOp::Eq),
                args: vec![
                    BoundExpr::Column {
                        index: self.column,
                        ty: e_type.clone(),
                    },
                    lit(*id, e_type),
                ],
                ty: DataType::new(TypeKind::Boolean).not_null(),
            });
            args.push(lit(value, &bigint));
        }
        args.push(lit(0, &bigint));
        BoundExpr::Call {
            func: ScalarFunc::Case,
            args,
            ty: bigint,
        }
    }
}

/// The sets' ids in the order Flink runs them (see the module docs).
fn ordered_ids(sets: &[Vec<usize>], n: usize) -> Vec<i64> {
    let mut sets: Vec<(u64, i64)> = sets
        .iter()
        .map(|set| {
            let held = set.iter().fold(0u64, |acc, &k| acc | (1 << k));
            let id = (0..n)
                .filter(|i| !set.contains(i))
                .fold(0i64, |acc, i| acc | (1 << (n - 1 - i)));
            (held, id)
        })
        .collect();
    sets.sort_by_key(|s| std::cmp::Reverse(s.0));
    sets.dedup();
    sets.into_iter().map(|(_, id)| id).collect()
}

/// A window aggregate's grouping sets over its keys: `sets` holds positions among the
/// `GROUP BY` items, `key_index` each item's position among the keys (`None` for the window's
/// items, which every set must hold: a window aggregate's rows are per window).
pub(super) fn window_key_sets(sets: &[Vec<usize>], key_index: &[Option<usize>]) -> Result<Vec<Vec<usize>>> {
    let window_items: Vec<usize> = (0..key_index.len()).filter(|i| key_index[*i].is_none()).collect();
    sets.iter()
        .map(|set| {
            if !window_items.iter().all(|w| set.contains(w)) {
                return Err(SqlError::validation(
                    "every grouping set of a window aggregate must hold the window (window_start and window_end, or the group window)",
                    None,
                ));
            }
            Ok(set.iter().filter_map(|i| key_index.get(*i).copied().flatten()).collect())
        })
        .collect()
}

/// An aggregate's input and keys, expanded for its grouping sets when it has any.
pub(super) struct Expanded {
    /// The aggregate's input: the `Expand`, or the input as it was.
    pub(super) plan: LogicalPlan,
    /// The aggregate's keys over it: the expanded keys, then `$e`; or the keys as they were.
    pub(super) keys: Vec<BoundExpr>,
    /// The keys' output fields.
    pub(super) key_fields: Vec<Field>,
    /// Where `GROUPING(..)` reads the set from (`None` without grouping sets).
    pub(super) grouping: Option<GroupingIds>,
}

/// `base` expanded for the grouping sets `sets` (positions among `keys`); without sets, `base`
/// and `keys` as they are. The input's columns keep their places, so a time column or an
/// aggregate argument reads the same column after the Expand.
pub(super) fn expand_below(
    base: LogicalPlan,
    keys: Vec<BoundExpr>,
    key_fields: Vec<Field>,
    sets: Option<&[Vec<usize>]>,
) -> Result<Expanded> {
    let Some(sets) = sets else {
        return Ok(Expanded {
            plan: base,
            keys,
            key_fields,
            grouping: None,
        });
    };
    let n = keys.len();
    if n == 0 || n > 62 {
        return Err(unsupported(
            "GROUPING SETS over no key or over more than 62 keys",
            None,
        ));
    }
    let ids = ordered_ids(sets, n);
    let mut key_fields: Vec<Field> = key_fields
        .into_iter()
        .map(|mut f| {
            f.ty.nullable = true;
            f
        })
        .collect();
    let e_type = DataType::new(TypeKind::BigInt).not_null();
    let width = base.schema().fields.len();
    let mut fields = base.schema().fields.clone();
    fields.extend(key_fields.iter().cloned());
    fields.push(Field::new("$e", e_type.clone()));
    let expand = LogicalPlan::Expand {
        input: Box::new(base),
        keys,
        ids: ids.clone(),
        schema: Schema { fields },
    };
    let group_keys: Vec<BoundExpr> = (0..=n)
        .map(|i| BoundExpr::Column {
            index: width + i,
            ty: expand.schema().fields[width + i].ty.clone(),
        })
        .collect();
    key_fields.push(Field::new("$e", e_type));
    let grouping = GroupingIds {
        column: n,
        keys: n,
        ids,
    };
    Ok(Expanded {
        plan: expand,
        keys: group_keys,
        key_fields,
        grouping: Some(grouping),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sets_run_largest_first_and_once() {
        // Keys (a, b): ids have bit 1 for a left out, bit 0 for b.
        assert_eq!(ordered_ids(&[vec![], vec![0], vec![0, 1]], 2), vec![0, 1, 3]);
        // CUBE (a, b): (a, b), (b), (a), () — (b) before (a).
        assert_eq!(
            ordered_ids(&[vec![0, 1], vec![0], vec![1], vec![]], 2),
            vec![0, 2, 1, 3]
        );
        assert_eq!(ordered_ids(&[vec![0], vec![0]], 1), vec![0]);
    }

    #[test]
    fn grouping_reads_the_bits_of_its_arguments() {
        let g = GroupingIds {
            column: 2,
            keys: 2,
            ids: vec![0, 1, 3],
        };
        let e = DataType::new(TypeKind::BigInt).not_null();
        let values = |call: BoundExpr| -> Vec<i64> {
            let BoundExpr::Call { args, .. } = call else {
                panic!("a CASE")
            };
            args.chunks(2)
                .filter(|c| c.len() == 2)
                .map(|c| match &c[1] {
                    BoundExpr::Literal {
                        value: Value::Int(v), ..
                    } => *v,
                    other => panic!("{other:?}"),
                })
                .collect()
        };
        // GROUPING(a) per set (a,b), (a), ().
        assert_eq!(values(g.call(&[0], &e)), vec![0, 0, 1]);
        assert_eq!(values(g.call(&[1], &e)), vec![0, 1, 1]);
        assert_eq!(values(g.call(&[0, 1], &e)), vec![0, 1, 3]);
        assert_eq!(values(g.call(&[1, 0], &e)), vec![0, 2, 3]);
    }
}
