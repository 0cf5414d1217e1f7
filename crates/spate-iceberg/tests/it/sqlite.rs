//! The JDBC catalog on SQLite, shared with pyiceberg's `SqlCatalog`: Spate creates and
//! appends, pyiceberg reads and appends, Spate appends after it; and a table pyiceberg
//! created Spate loads and extends.

use std::collections::BTreeMap;
use std::path::Path;

use spate_iceberg::{Catalog, CommitOutcome, JdbcCatalog, TableIdent, commit_files, load_or_create_table};

use crate::hadoop::{checkpoint, creation};
use crate::py::{DAY0, HOUR_US, parquet_file, read_rows, run, summaries};

fn catalog(dir: &Path) -> (JdbcCatalog, String, String) {
    let db = dir.join("catalog.db").to_str().expect("utf-8").to_owned();
    let warehouse = dir.join("wh").to_str().expect("utf-8").to_owned();
    let cat = JdbcCatalog::connect(
        "spate",
        &format!("jdbc:sqlite:{db}"),
        &warehouse,
        &BTreeMap::new(),
    )
    .expect("connects");
    (cat, db, warehouse)
}

#[test]
fn spate_and_pyiceberg_take_turns() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cat, db, warehouse) = catalog(dir.path());
    let ident = TableIdent::new("lake", "clicks");
    let table = load_or_create_table(&cat, &ident, &creation()).expect("created");
    assert!(table.metadata_location.contains("/lake/clicks/metadata/00000-"));
    let f1 = parquet_file(&table.metadata, "a.parquet", &[(1, Some("a"), Some(DAY0))]);
    let committed = commit_files(
        &cat,
        &ident,
        vec![f1],
        &BTreeMap::new(),
        Some(&checkpoint(1)),
        None,
    )
    .expect("commit");
    assert!(committed.table().metadata_location.contains("/metadata/00001-"));

    let answer = run(&["read-sql", &db, &warehouse, "spate", "lake.clicks"]);
    assert_eq!(
        read_rows(&answer),
        [(1, Some("a".into()), Some(DAY0))],
        "{answer}"
    );

    run(&[
        "sql-append",
        &db,
        &warehouse,
        "spate",
        "lake.clicks",
        r#"[{"id":2,"name":"py","ts":1709600400000000}]"#,
    ]);

    let f3 = parquet_file(
        &table.metadata,
        "c.parquet",
        &[(3, None, Some(DAY0 + 30 * HOUR_US))],
    );
    let after = commit_files(
        &cat,
        &ident,
        vec![f3],
        &BTreeMap::new(),
        Some(&checkpoint(2)),
        None,
    )
    .expect("commit after pyiceberg");
    assert!(matches!(after, CommitOutcome::Committed(_)));
    assert_eq!(after.table().metadata.snapshots.len(), 3);

    let answer = run(&["read-sql", &db, &warehouse, "spate", "lake.clicks"]);
    let ids: Vec<i64> = read_rows(&answer).iter().map(|r| r.0).collect();
    assert_eq!(ids, [1, 2, 3], "{answer}");
    let sums = summaries(&answer);
    assert_eq!(sums.len(), 3);
    assert_eq!(sums[2]["total-records"], "3");
    assert_eq!(sums[2]["flink.max-committed-checkpoint-id"], "2");
}

#[test]
fn spate_extends_a_table_pyiceberg_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("catalog.db").to_str().expect("utf-8").to_owned();
    let warehouse = dir.path().join("wh").to_str().expect("utf-8").to_owned();
    run(&[
        "sql-append",
        &db,
        &warehouse,
        "spate",
        "ns.made_by_py",
        r#"[{"id":10,"name":"x","ts":1709596800000000},{"id":11,"name":null,"ts":null}]"#,
    ]);

    let (cat, _, _) = catalog(dir.path());
    let ident = TableIdent::new("ns", "made_by_py");
    let table = cat.load_table(&ident).expect("loads").expect("exists");
    assert_eq!(table.metadata.snapshots.len(), 1);
    let f = parquet_file(
        &table.metadata,
        "spate.parquet",
        &[(12, Some("s"), Some(DAY0 + HOUR_US))],
    );
    commit_files(
        &cat,
        &ident,
        vec![f],
        &BTreeMap::new(),
        Some(&checkpoint(7)),
        None,
    )
    .expect("commit");

    let answer = run(&["read-sql", &db, &warehouse, "spate", "ns.made_by_py"]);
    let ids: Vec<i64> = read_rows(&answer).iter().map(|r| r.0).collect();
    assert_eq!(ids, [10, 11, 12], "{answer}");
    let sums = summaries(&answer);
    assert_eq!(sums.len(), 2);
    assert_eq!(sums[1]["total-records"], "3");
    assert_eq!(sums[1]["total-data-files"], "3");
}
