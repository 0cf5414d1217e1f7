//! Top-N against an oracle: random insertions, updates and deletions (a Debezium changelog, or
//! insertions alone) into a Top-N per partition, with and without the rank column. The
//! changelog the query emits, applied in order, must leave exactly the top N rows of each
//! partition of the input materialized at the end, computed here in plain Rust: ranked by price
//! descending, rows of equal price in the order they were last written (an update is a
//! retraction and a new insertion, as Flink's Top-N sees it).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use proptest::prelude::*;
use spate_sql::value::Value;
use spate_sql::{Session, SessionOptions, StatementResult};

/// One change to the input: insert a new id, update an existing one's price, delete one.
#[derive(Debug, Clone)]
enum Op {
    Insert { cat: i64, price: i64 },
    Update { pick: usize, price: i64 },
    Delete { pick: usize },
}

fn ops(updates: bool) -> impl Strategy<Value = Vec<Op>> {
    let insert = (0i64..3, 0i64..6).prop_map(|(cat, price)| Op::Insert { cat, price });
    let op = if updates {
        prop_oneof![
            3 => insert,
            2 => (any::<usize>(), 0i64..6).prop_map(|(pick, price)| Op::Update { pick, price }),
            1 => any::<usize>().prop_map(|pick| Op::Delete { pick }),
        ]
        .boxed()
    } else {
        insert.boxed()
    };
    prop::collection::vec(op, 1..40)
}

/// A live row: id → (cat, price, sequence of its last write).
type Live = BTreeMap<i64, (i64, i64, usize)>;

fn json(id: i64, cat: i64, price: i64) -> String {
    format!(r#"{{"id":{id},"cat":{cat},"price":{price}}}"#)
}

/// The Debezium events of `ops` and the rows live at the end.
fn materialize(ops: &[Op]) -> (String, Live) {
    let mut live = Live::new();
    let mut events = String::new();
    let mut next_id = 0;
    for (seq, op) in ops.iter().enumerate() {
        match *op {
            Op::Insert { cat, price } => {
                next_id += 1;
                live.insert(next_id, (cat, price, seq));
                let _ = writeln!(
                    events,
                    r#"{{"before":null,"after":{},"op":"c"}}"#,
                    json(next_id, cat, price)
                );
            }
            Op::Update { pick, price } => {
                let Some((&id, &(cat, old, _))) = live.iter().nth(pick % live.len().max(1)) else {
                    continue;
                };
                live.insert(id, (cat, price, seq));
                let _ = writeln!(
                    events,
                    r#"{{"before":{},"after":{},"op":"u"}}"#,
                    json(id, cat, old),
                    json(id, cat, price)
                );
            }
            Op::Delete { pick } => {
                let Some((&id, &(cat, price, _))) = live.iter().nth(pick % live.len().max(1)) else {
                    continue;
                };
                live.remove(&id);
                let _ = writeln!(
                    events,
                    r#"{{"before":{},"after":null,"op":"d"}}"#,
                    json(id, cat, price)
                );
            }
        }
    }
    (events, live)
}

/// The top `n` of each category: `[id, cat, price, rank]` (without the rank unless `ranked`),
/// sorted.
fn oracle(live: &Live, n: usize, ranked: bool) -> Vec<Vec<Option<i64>>> {
    let mut by_cat: BTreeMap<i64, Vec<(i64, i64, usize)>> = BTreeMap::new();
    for (&id, &(cat, price, seq)) in live {
        by_cat.entry(cat).or_default().push((id, price, seq));
    }
    let mut rows = Vec::new();
    for (cat, mut members) in by_cat {
        members.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
        for (rank, (id, price, _)) in members.into_iter().take(n).enumerate() {
            let mut row = vec![Some(id), Some(cat), Some(price)];
            if ranked {
                row.push(Some(rank as i64 + 1));
            }
            rows.push(row);
        }
    }
    rows.sort();
    rows
}

/// The final table of the Top-N's changelog over `events`, sorted.
fn final_table(events: &str, format: &str, n: usize, ranked: bool) -> Vec<Vec<Option<i64>>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("products.json");
    std::fs::write(&path, events).expect("write input");
    let columns = if ranked {
        "id, cat, price, rn"
    } else {
        "id, cat, price"
    };
    let script = format!(
        "SET 'parallelism.default' = '2';
         CREATE TABLE products (id BIGINT, cat BIGINT, price BIGINT)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = '{format}');
         SELECT {columns} FROM (
           SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC) AS rn FROM products
         ) WHERE rn <= {n};",
        path.display()
    );
    let mut table: BTreeMap<Vec<Option<i64>>, i64> = BTreeMap::new();
    let mut session = Session::new(SessionOptions::default());
    session
        .execute_script(&script, |_, r| {
            let StatementResult::Rows { rows, kinds, .. } = r else {
                return;
            };
            for (i, row) in rows.into_iter().enumerate() {
                let accumulate = kinds.get(i).is_none_or(|k| k.is_accumulate());
                let row: Vec<Option<i64>> = row.iter().map(Value::as_i64).collect();
                let count = table.entry(row.clone()).or_insert(0);
                *count += if accumulate { 1 } else { -1 };
                assert!(
                    *count >= 0,
                    "a retraction of {row:?}, which the table does not hold"
                );
                if *count == 0 {
                    table.remove(&row);
                }
            }
        })
        .unwrap_or_else(|e| panic!("{}", e.render(&script)));
    let mut rows = Vec::new();
    for (row, count) in table {
        for _ in 0..count {
            rows.push(row.clone());
        }
    }
    rows
}

/// The input as plain JSON rows (insertions only).
fn inserts(live_events: &str) -> String {
    live_events
        .lines()
        .filter_map(|l| {
            let after = l.split(r#""after":"#).nth(1)?;
            let row = after.split(r#","op""#).next()?;
            Some(format!("{row}\n"))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, .. ProptestConfig::default() })]

    #[test]
    fn a_top_n_over_a_changelog_ends_in_the_top_n_of_the_input(ops in ops(true), n in 1usize..4, ranked: bool) {
        let (events, live) = materialize(&ops);
        prop_assert_eq!(final_table(&events, "debezium-json", n, ranked), oracle(&live, n, ranked));
    }

    #[test]
    fn a_top_n_over_insertions_ends_in_the_top_n_of_the_input(ops in ops(false), n in 1usize..4, ranked: bool) {
        let (events, live) = materialize(&ops);
        prop_assert_eq!(final_table(&inserts(&events), "json", n, ranked), oracle(&live, n, ranked));
    }
}
