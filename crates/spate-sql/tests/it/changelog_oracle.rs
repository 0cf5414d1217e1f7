//! The changelog of an updating query against an oracle (the Z-set view): for random inputs,
//! the changes a query emits, applied in order (`+I`/`+U` add a row, `-U`/`-D` remove one that
//! must be there), leave exactly the rows the same query gives over the whole input computed
//! as a batch, here in plain Rust. One query aggregates an insert-only input; the other
//! aggregates that aggregate's changelog, so every retraction path (retracting accumulators,
//! `-D` of an emptied group) is exercised. Both run at parallelism 2, so the changes of
//! different keys interleave across subtasks.

use std::collections::BTreeMap;

use proptest::prelude::*;
use spate_sql::value::Value;
use spate_sql::{Session, SessionOptions, StatementResult};

/// The final table of `sql`'s changelog, as sorted rows of integers (NULL as `None`).
fn final_table(sql: &str) -> Vec<Vec<Option<i64>>> {
    let mut session = Session::new(SessionOptions::default());
    let mut table: BTreeMap<Vec<Option<i64>>, i64> = BTreeMap::new();
    let script = format!("SET 'parallelism.default' = '2';\n{sql}");
    session
        .execute_script(&script, |_, r| {
            let StatementResult::Rows { rows, kinds, .. } = r else {
                return;
            };
            assert_eq!(
                kinds.len(),
                rows.len(),
                "an updating query returns a kind per row"
            );
            for (row, kind) in rows.into_iter().zip(kinds) {
                let row: Vec<Option<i64>> = row.iter().map(Value::as_i64).collect();
                let n = table.entry(row.clone()).or_insert(0);
                *n += if kind.is_accumulate() { 1 } else { -1 };
                assert!(*n >= 0, "{kind:?} of {row:?}, which the table does not hold");
                if *n == 0 {
                    table.remove(&row);
                }
            }
        })
        .unwrap_or_else(|e| panic!("{}", e.render(&script)));
    let mut rows = Vec::new();
    for (row, n) in table {
        for _ in 0..n {
            rows.push(row.clone());
        }
    }
    rows
}

fn values_clause(input: &[(i64, i64)]) -> String {
    input
        .iter()
        .map(|(k, v)| format!("({k}, {v})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Per key: count, sum, max, min of the values.
fn per_key(input: &[(i64, i64)]) -> BTreeMap<i64, (i64, i64, i64, i64)> {
    let mut groups: BTreeMap<i64, (i64, i64, i64, i64)> = BTreeMap::new();
    for &(k, v) in input {
        let g = groups.entry(k).or_insert((0, 0, i64::MIN, i64::MAX));
        g.0 += 1;
        g.1 += v;
        g.2 = g.2.max(v);
        g.3 = g.3.min(v);
    }
    groups
}

fn input() -> impl Strategy<Value = Vec<(i64, i64)>> {
    prop::collection::vec((0i64..5, -6i64..7), 1..40)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    #[test]
    fn a_group_by_changelog_ends_in_the_batch_result(input in input()) {
        let sql = format!(
            "SELECT k, COUNT(*), SUM(v), MAX(v), MIN(v) FROM (VALUES {}) AS t(k, v) GROUP BY k;",
            values_clause(&input)
        );
        let want: Vec<Vec<Option<i64>>> = per_key(&input)
            .into_iter()
            .map(|(k, (c, s, hi, lo))| vec![Some(k), Some(c), Some(s), Some(hi), Some(lo)])
            .collect();
        prop_assert_eq!(final_table(&sql), want);
    }

    #[test]
    fn an_aggregate_of_an_aggregate_ends_in_the_batch_result(input in input()) {
        let sql = format!(
            "SELECT c, COUNT(*), SUM(s), MAX(s), MIN(s) FROM \
               (SELECT k, COUNT(*) AS c, SUM(v) AS s FROM (VALUES {}) AS t(k, v) GROUP BY k) \
             GROUP BY c;",
            values_clause(&input)
        );
        let mut outer: BTreeMap<i64, (i64, i64, i64, i64)> = BTreeMap::new();
        for (c, s, _, _) in per_key(&input).into_values() {
            let g = outer.entry(c).or_insert((0, 0, i64::MIN, i64::MAX));
            g.0 += 1;
            g.1 += s;
            g.2 = g.2.max(s);
            g.3 = g.3.min(s);
        }
        let want: Vec<Vec<Option<i64>>> = outer
            .into_iter()
            .map(|(c, (n, s, hi, lo))| vec![Some(c), Some(n), Some(s), Some(hi), Some(lo)])
            .collect();
        prop_assert_eq!(final_table(&sql), want);
    }
}
