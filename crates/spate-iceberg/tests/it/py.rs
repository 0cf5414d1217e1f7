//! Running the Python side (pyarrow, pyiceberg from the test virtualenv made by
//! scripts/install-deps.sh). A missing virtualenv or module fails the test; it never skips.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::{Value as Json, json};
use spate_iceberg::{DataFile, FileIo, TableMetadata, Value};

/// The test virtualenv's python (or `SPATE_TEST_PYTHON`).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("SPATE_TEST_PYTHON") {
        return p.into();
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/venv/bin/python")
}

/// Runs one command of iceberg_check.py and returns its JSON answer.
pub fn run(args: &[&str]) -> Json {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/iceberg_check.py");
    let out = Command::new(python())
        .arg(script)
        .args(args)
        .output()
        .expect("the test virtualenv's python (scripts/install-deps.sh) runs");
    assert!(
        out.status.success(),
        "iceberg_check.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON answer")
}

/// A row: id, name, timestamp in microseconds.
pub type Row = (i64, Option<&'static str>, Option<i64>);

pub fn rows_json(rows: &[Row]) -> String {
    Json::Array(
        rows.iter()
            .map(|(id, name, ts)| json!({"id": id, "name": name, "ts": ts}))
            .collect(),
    )
    .to_string()
}

/// 2024-03-05T00:00:00Z in microseconds.
pub const DAY0: i64 = 1_709_596_800_000_000;
pub const HOUR_US: i64 = 3_600_000_000;

/// Writes `rows` (all of one day) as a Parquet file under the table's data directory in its
/// partition's directory, and describes it as a data file with counts and bounds (its path in
/// the table's own form: a plain path or a `file:` URI).
pub fn parquet_file(metadata: &TableMetadata, name: &str, rows: &[Row]) -> DataFile {
    let spec = metadata.default_spec();
    let partition = spec
        .partition_of(|id| {
            if id == 3 {
                rows[0].2.map(Value::Timestamptz)
            } else {
                None
            }
        })
        .expect("partition");
    let rel = spec.partition_path(&partition).expect("path");
    let location = format!("{}/data/{rel}/{name}", metadata.location);
    let path = FileIo::local().local_path(&location).expect("local");
    std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
    let size = run(&["write-parquet", path.to_str().expect("utf-8"), &rows_json(rows)])["size"]
        .as_i64()
        .expect("size");
    let mut file = DataFile::parquet(location, partition, rows.len() as i64, size);
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let (lo, hi) = (
        ids.iter().min().copied().unwrap_or(0),
        ids.iter().max().copied().unwrap_or(0),
    );
    file.set_bounds(1, &Value::Long(lo), &Value::Long(hi));
    file.set_counts(1, rows.len() as i64, 0);
    file.set_counts(
        2,
        rows.len() as i64,
        rows.iter().filter(|r| r.1.is_none()).count() as i64,
    );
    file
}

/// The rows pyiceberg read, as (id, name, ts).
pub fn read_rows(answer: &Json) -> Vec<(i64, Option<String>, Option<i64>)> {
    answer["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().expect("id"),
                r["name"].as_str().map(str::to_owned),
                r["ts"].as_i64(),
            )
        })
        .collect()
}

/// The summaries of pyiceberg's snapshots, oldest first.
pub fn summaries(answer: &Json) -> Vec<BTreeMap<String, String>> {
    answer["snapshots"]
        .as_array()
        .expect("snapshots")
        .iter()
        .map(|s| serde_json::from_value(s["summary"].clone()).expect("summary map"))
        .collect()
}
