//! The hadoop catalog: Spate commits two Flink checkpoints into a day-partitioned table and
//! pyiceberg's `StaticTable` reads it back.

use std::collections::BTreeMap;

use spate_iceberg::flink::{FlinkCommitter, max_committed_checkpoint_id};
use spate_iceberg::{
    Catalog, CheckpointCommit, CommitOutcome, HadoopCatalog, IcebergError, NestedField, PrimitiveType,
    Schema, TableCreation, TableIdent, Transform, UnboundPartitionField, commit_files, load_or_create_table,
};

use crate::py::{DAY0, HOUR_US, parquet_file, read_rows, run, summaries};

pub fn creation() -> TableCreation {
    let schema = Schema::with_fresh_ids(
        vec![
            NestedField::required(0, "id", PrimitiveType::Long),
            NestedField::optional(0, "name", PrimitiveType::String),
            NestedField::optional(0, "ts", PrimitiveType::Timestamptz),
        ],
        &["id"],
    )
    .expect("schema");
    let mut c = TableCreation::new(schema);
    c.partition = vec![UnboundPartitionField::new("ts", Transform::Day)];
    c
}

pub fn checkpoint(id: i64) -> CheckpointCommit {
    CheckpointCommit {
        committer: FlinkCommitter {
            job_id: "job-a".into(),
            operator_id: "op-1".into(),
        },
        checkpoint_id: id,
    }
}

#[test]
fn spate_commits_pyiceberg_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let warehouse = dir.path().join("wh");
    let catalog = HadoopCatalog::new("hadoop", warehouse.to_str().expect("utf-8")).expect("catalog");
    let ident = TableIdent::new("db", "events");
    let table = load_or_create_table(&catalog, &ident, &creation()).expect("created");
    assert!(
        table
            .metadata_location
            .ends_with("/db/events/metadata/v1.metadata.json")
    );

    let day1 = DAY0 + 24 * HOUR_US;
    let f1 = parquet_file(
        &table.metadata,
        "00000-0-a.parquet",
        &[(1, Some("a"), Some(DAY0)), (2, None, Some(DAY0 + HOUR_US))],
    );
    let f2 = parquet_file(
        &table.metadata,
        "00000-1-a.parquet",
        &[(3, Some("c"), Some(day1))],
    );
    let props = BTreeMap::from([("writer".to_owned(), "spate".to_owned())]);
    let first =
        commit_files(&catalog, &ident, vec![f1, f2], &props, Some(&checkpoint(1)), None).expect("commit 1");
    assert!(matches!(first, CommitOutcome::Committed(_)));
    let f3 = parquet_file(
        &table.metadata,
        "00000-0-b.parquet",
        &[
            (4, Some("d"), Some(DAY0 + 5 * HOUR_US)),
            (5, Some("e"), Some(DAY0)),
        ],
    );
    let second = commit_files(
        &catalog,
        &ident,
        vec![f3.clone()],
        &props,
        Some(&checkpoint(2)),
        None,
    )
    .expect("commit 2");
    let CommitOutcome::Committed(latest) = second else {
        panic!("not committed")
    };
    assert!(latest.metadata_location.ends_with("v3.metadata.json"));

    // A replay of checkpoint 2 (a restore after a crash) commits nothing.
    let again = commit_files(&catalog, &ident, vec![f3], &props, Some(&checkpoint(2)), None).expect("replay");
    assert!(matches!(again, CommitOutcome::AlreadyCommitted(_)));
    assert_eq!(
        max_committed_checkpoint_id(&latest.metadata, "job-a", "op-1", "main"),
        2
    );
    assert_eq!(
        max_committed_checkpoint_id(&latest.metadata, "job-b", "op-1", "main"),
        -1
    );

    // A commit on a stale base loses against the one that got there first.
    let stale = first.table().clone();
    let next = stale.metadata.clone();
    assert!(matches!(
        catalog.commit(&stale, next),
        Err(IcebergError::CommitConflict(_))
    ));

    let loaded = catalog.load_table(&ident).expect("loads").expect("exists");
    assert_eq!(loaded.metadata_location, latest.metadata_location);
    assert_eq!(loaded.metadata.metadata_log.len(), 2);

    let answer = run(&["read-static", &latest.metadata_location]);
    let rows = read_rows(&answer);
    assert_eq!(rows.len(), 5, "{answer}");
    assert_eq!(rows[1], (2, None, Some(DAY0 + HOUR_US)));
    assert_eq!(rows[2], (3, Some("c".into()), Some(day1)));
    let sums = summaries(&answer);
    assert_eq!(sums.len(), 2);
    assert_eq!(sums[0]["flink.max-committed-checkpoint-id"], "1");
    assert_eq!(sums[1]["flink.max-committed-checkpoint-id"], "2");
    assert_eq!(sums[1]["flink.job-id"], "job-a");
    assert_eq!(sums[1]["flink.operator-id"], "op-1");
    assert_eq!(sums[1]["writer"], "spate");
    assert_eq!(sums[1]["total-records"], "5");
    assert_eq!(sums[1]["total-data-files"], "3");
    assert_eq!(sums[1]["added-records"], "2");
    let partitions: Vec<&str> = answer["partitions"]
        .as_array()
        .expect("partitions")
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert_eq!(
        partitions,
        [
            r#"{"ts_day": "2024-03-05"}"#,
            r#"{"ts_day": "2024-03-05"}"#,
            r#"{"ts_day": "2024-03-06"}"#
        ],
        "{answer}"
    );
    assert_eq!(answer["current"].as_i64(), latest.metadata.current_snapshot_id);
}
