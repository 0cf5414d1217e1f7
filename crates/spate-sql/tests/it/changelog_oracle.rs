//! The changelog of an updating query against an oracle (the Z-set view): for random inputs,
//! the changes a query emits, applied in order (`+I`/`+U` add a row, `-U`/`-D` remove one that
//! must be there), leave exactly the rows the same query gives over the whole input computed
//! as a batch, here in plain Rust. One query aggregates an insert-only input; the other
//! aggregates that aggregate's changelog, so every retraction path (retracting accumulators,
//! `-D` of an emptied group) is exercised. Both run at parallelism 2, so the changes of
//! different keys interleave across subtasks. The joins join two random changelogs (inserts,
//! updates that move rows between keys, deletes) and compare with the batch join.

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

/// A change to a CDC table of rows `(id, k, v)`: the row ids are the positions of the inserts.
#[derive(Debug, Clone)]
enum Op {
    Insert(i64, i64),
    /// Update the `n % live`-th live row to `(k, v)`.
    Update(usize, i64, i64),
    /// Delete the `n % live`-th live row.
    Delete(usize),
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    let op = prop_oneof![
        3 => (0i64..4, -3i64..4).prop_map(|(k, v)| Op::Insert(k, v)),
        2 => (any::<usize>(), 0i64..4, -3i64..4).prop_map(|(n, k, v)| Op::Update(n, k, v)),
        1 => any::<usize>().prop_map(Op::Delete),
    ];
    prop::collection::vec(op, 0..25)
}

/// Writes `ops` as a Debezium JSON file; returns the table's final rows `(id, k, v)`.
fn write_cdc(path: &std::path::Path, ops: &[Op]) -> Vec<(i64, i64, i64)> {
    let mut live: Vec<(i64, i64, i64)> = Vec::new();
    let mut lines = Vec::new();
    let json = |r: &(i64, i64, i64)| format!(r#"{{"id": {}, "k": {}, "v": {}}}"#, r.0, r.1, r.2);
    let mut next_id = 0;
    for op in ops {
        match *op {
            Op::Insert(k, v) => {
                let row = (next_id, k, v);
                next_id += 1;
                lines.push(format!(
                    r#"{{"before": null, "after": {}, "op": "c"}}"#,
                    json(&row)
                ));
                live.push(row);
            }
            Op::Update(n, k, v) if !live.is_empty() => {
                let i = n % live.len();
                let old = live[i];
                live[i] = (old.0, k, v);
                lines.push(format!(
                    r#"{{"before": {}, "after": {}, "op": "u"}}"#,
                    json(&old),
                    json(&live[i])
                ));
            }
            Op::Delete(n) if !live.is_empty() => {
                let old = live.remove(n % live.len());
                lines.push(format!(
                    r#"{{"before": {}, "after": null, "op": "d"}}"#,
                    json(&old)
                ));
            }
            _ => {}
        }
    }
    std::fs::write(path, lines.join("\n") + "\n").expect("write the CDC file");
    live
}

/// The rows of `l JOIN r ON l.k = r.k AND l.v <= r.v + 1` of kind `kind`, computed as a batch:
/// `(l.id, l.v, r.id, r.v)`, NULL-padded for outer joins.
fn batch_join(l: &[(i64, i64, i64)], r: &[(i64, i64, i64)], kind: &str) -> Vec<Vec<Option<i64>>> {
    let meets = |a: &(i64, i64, i64), b: &(i64, i64, i64)| a.1 == b.1 && a.2 <= b.2 + 1;
    let mut rows = Vec::new();
    for a in l {
        let mut found = false;
        for b in r.iter().filter(|b| meets(a, b)) {
            found = true;
            rows.push(vec![Some(a.0), Some(a.2), Some(b.0), Some(b.2)]);
        }
        if !found && matches!(kind, "LEFT" | "FULL") {
            rows.push(vec![Some(a.0), Some(a.2), None, None]);
        }
    }
    if matches!(kind, "RIGHT" | "FULL") {
        for b in r.iter().filter(|b| !l.iter().any(|a| meets(a, b))) {
            rows.push(vec![None, None, Some(b.0), Some(b.2)]);
        }
    }
    rows.sort();
    rows
}

fn cdc_table(name: &str, path: &std::path::Path, key: bool) -> String {
    let pk = if key {
        ", PRIMARY KEY (id) NOT ENFORCED"
    } else {
        ""
    };
    format!(
        "CREATE TABLE {name} (id BIGINT, k BIGINT, v BIGINT{pk}) WITH ('connector' = 'filesystem', \
         'path' = '{}', 'format' = 'debezium-json');",
        path.display()
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Inner and outer joins of two changelogs (inserts, updates that move rows between join
    /// keys, deletes), with a residual condition, end in the batch join of the final tables;
    /// with and without primary keys (the join's two state layouts for rows).
    #[test]
    fn a_join_of_changelogs_ends_in_the_batch_join(
        lops in ops(),
        rops in ops(),
        kind in prop::sample::select(vec!["INNER", "LEFT", "RIGHT", "FULL"]),
        keyed in any::<bool>(),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (lp, rp) = (dir.path().join("l.json"), dir.path().join("r.json"));
        let (l, r) = (write_cdc(&lp, &lops), write_cdc(&rp, &rops));
        let sql = format!(
            "{}\n{}\nSELECT l.id, l.v, r.id, r.v FROM l {kind} JOIN r ON l.k = r.k AND l.v <= r.v + 1;",
            cdc_table("l", &lp, keyed),
            cdc_table("r", &rp, !keyed)
        );
        prop_assert_eq!(final_table(&sql), batch_join(&l, &r, kind));
    }

    /// A LEFT JOIN feeding a GROUP BY (Nexmark q4's shape over changelogs): per left key, the
    /// number of joined rows and the sum of the right values.
    #[test]
    fn a_group_by_over_a_left_join_ends_in_the_batch_result(lops in ops(), rops in ops()) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (lp, rp) = (dir.path().join("l.json"), dir.path().join("r.json"));
        let (l, r) = (write_cdc(&lp, &lops), write_cdc(&rp, &rops));
        let sql = format!(
            "{}\n{}\nSELECT lk, COUNT(*), SUM(rv) FROM \
               (SELECT l.k AS lk, r.v AS rv FROM l LEFT JOIN r ON l.k = r.k AND l.v <= r.v + 1) \
             GROUP BY lk;",
            cdc_table("l", &lp, true),
            cdc_table("r", &rp, true)
        );
        let mut groups: BTreeMap<i64, (i64, Option<i64>)> = BTreeMap::new();
        for a in &l {
            let g = groups.entry(a.1).or_insert((0, None));
            let partners: Vec<i64> = r.iter().filter(|b| a.1 == b.1 && a.2 <= b.2 + 1).map(|b| b.2).collect();
            if partners.is_empty() {
                g.0 += 1;
            }
            for v in partners {
                g.0 += 1;
                g.1 = Some(g.1.unwrap_or(0) + v);
            }
        }
        let want: Vec<Vec<Option<i64>>> =
            groups.into_iter().map(|(k, (n, s))| vec![Some(k), Some(n), s]).collect();
        prop_assert_eq!(final_table(&sql), want);
    }
}
