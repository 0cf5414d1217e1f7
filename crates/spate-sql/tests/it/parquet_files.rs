//! The filesystem connector's `parquet` format, checked with the reader users run: a SQL job
//! writes a partitioned table of every type Flink's Parquet format maps, pyarrow reads the
//! directory (types, values, physical encodings, codec), and Spate's own source reads it back.

use std::path::Path;
use std::process::Command;

use spate_sql::{Session, SessionOptions, SqlError, StatementResult};

use crate::avro_confluent::python;

fn script() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/parquet_check.py")
}

/// What `parquet_check.py` prints for `dir`: the schema, the rows, the file facts.
fn pyarrow_read(dir: &Path) -> [serde_json::Value; 3] {
    let out = Command::new(python())
        .arg(script())
        .arg(dir)
        .output()
        .expect("python runs (scripts/install-deps.sh installs pyarrow in .tools/venv)");
    assert!(
        out.status.success(),
        "pyarrow could not read {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    [lines[0].clone(), lines[1].clone(), lines[2].clone()]
}

fn run(sql: &str) {
    Session::new(SessionOptions::default())
        .execute_script(sql, |_, _| {})
        .map_err(|e: SqlError| e.render(sql))
        .expect("the job runs");
}

fn query(sql: &str) -> Vec<String> {
    let mut got = Vec::new();
    Session::new(SessionOptions::default())
        .execute_script(sql, |_, r| {
            if let StatementResult::Rows { rows, .. } = r {
                got.extend(rows.iter().map(|r| format!("{r:?}")));
            }
        })
        .map_err(|e| e.render(sql))
        .expect("the query runs");
    got
}

const COLUMNS: &str = "id INT, tiny TINYINT, small SMALLINT, big BIGINT, price DECIMAL(10, 2), \
    wide DECIMAL(38, 6), name STRING, flag BOOLEAN, ratio DOUBLE, f FLOAT, d DATE, t TIME, \
    ts TIMESTAMP(3), ts_ltz TIMESTAMP_LTZ(3), tags ARRAY<INT>, attrs MAP<STRING, INT>, \
    nested ROW<a INT, b STRING>, raw BYTES, day STRING";

#[test]
fn every_type_is_written_as_flink_maps_it_and_pyarrow_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // The rows come from a JSON file (Flink's json format reads every one of these types).
    let input = dir.path().join("in.json");
    std::fs::write(
        &input,
        concat!(
            r#"{"id": 1, "tiny": -1, "small": 300, "big": 10000000000, "price": 12.34, "#,
            r#""wide": 12345678901234567890.123456, "name": "ann", "flag": true, "ratio": 0.5, "f": 1.5, "#,
            r#""d": "2026-11-28", "t": "12:34:56", "ts": "2026-11-28 12:34:56.789", "#,
            r#""ts_ltz": "2025-11-28 12:34:56.789Z", "tags": [1, 2, 3], "attrs": {"a": 1, "b": 2}, "#,
            r#""nested": {"a": 7, "b": "x"}, "raw": "Y2FmZQ==", "day": "2026-11-28"}"#,
            "\n",
            r#"{"id": 2, "day": "2026-11-29"}"#,
            "\n"
        ),
    )
    .unwrap();
    run(&format!(
        "CREATE TABLE src ({COLUMNS}) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
         CREATE TABLE out ({COLUMNS}) PARTITIONED BY (day)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'parquet',
                 'sink.partition-commit.policy.kind' = 'success-file');
         INSERT INTO out SELECT * FROM src;",
        input.display(),
        out.display()
    ));
    // Partition commit as for the line formats: each partition marked done once its files
    // are visible (pyarrow skips `_` files, as Flink's readers do).
    for day in ["2026-11-28", "2026-11-29"] {
        assert!(out.join(format!("day={day}/_SUCCESS")).exists(), "{day}");
    }
    let [schema, rows, files] = pyarrow_read(&out);
    assert_eq!(
        schema,
        serde_json::json!({
            "id": "int32", "tiny": "int8", "small": "int16", "big": "int64",
            "price": "decimal128(10, 2)", "wide": "decimal128(38, 6)", "name": "string",
            "flag": "bool", "ratio": "double", "f": "float", "d": "date32[day]",
            "t": "time32[ms]", "ts": "timestamp[us]", "ts_ltz": "timestamp[us, tz=UTC]",
            "tags": "list<element: int32>", "attrs": "map<string, int32 ('attrs')>",
            "nested": "struct<a: int32, b: string>", "raw": "binary",
            // The partition column comes from the directory names, as hive partitioning reads it.
            "day": "string"
        })
        .as_object()
        .map(|o| serde_json::Value::Object(o.clone()))
        .unwrap()
    );
    assert_eq!(
        rows,
        serde_json::json!([
            {"id": 1, "tiny": -1, "small": 300, "big": 10000000000i64, "price": "12.34",
             "wide": "12345678901234567890.123456", "name": "ann", "flag": true, "ratio": 0.5,
             "f": 1.5, "d": "2026-11-28", "t": "12:34:56", "ts": "2026-11-28 12:34:56.789000",
             "ts_ltz": "2025-11-28 12:34:56.789000+00:00", "tags": [1, 2, 3],
             "attrs": [["a", 1], ["b", 2]], "nested": {"a": 7, "b": "x"}, "raw": "63616665",
             "day": "2026-11-28"},
            {"id": 2, "tiny": null, "small": null, "big": null, "price": null, "wide": null,
             "name": null, "flag": null, "ratio": null, "f": null, "d": null, "t": null,
             "ts": null, "ts_ltz": null, "tags": null, "attrs": null, "nested": null,
             "raw": null, "day": "2026-11-29"}
        ])
    );
    // Flink's physical choices: every DECIMAL a fixed-length byte array, TINYINT/SMALLINT as
    // INT32, timestamps as INT64 (Spate's documented difference from Flink's INT96), SNAPPY.
    let columns = &files["columns"];
    assert_eq!(columns["price"][0], "FIXED_LEN_BYTE_ARRAY");
    assert_eq!(columns["wide"][0], "FIXED_LEN_BYTE_ARRAY");
    assert_eq!(columns["tiny"][0], "INT32");
    assert_eq!(columns["ts"][0], "INT64");
    assert_eq!(columns["tags.list.element"][0], "INT32");
    assert_eq!(columns["attrs.key_value.key"][0], "BYTE_ARRAY");
    assert!(
        columns.as_object().unwrap().values().all(|c| c[2] == "SNAPPY"),
        "{columns}"
    );
    assert_eq!(files["files"], 2, "one file per partition");

    // Spate reads its own files back: every type, the partition column from the directory.
    let got = query(&format!(
        "CREATE TABLE back ({COLUMNS}) PARTITIONED BY (day) \
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'parquet');
         SELECT * FROM back;",
        out.display()
    ));
    let mut got = got;
    got.sort();
    assert_eq!(
        got,
        [
            "[Int(1), Int(-1), Int(300), Int(10000000000), Decimal(1234), \
             Decimal(12345678901234567890123456), String(\"ann\"), Boolean(true), Float(0.5), \
             Float(1.5), Date(20785), Time(45296000000000), Timestamp(1795869296789000), \
             Timestamp(1764333296789000), Array([Int(1), Int(2), Int(3)]), \
             Map([(String(\"a\"), Int(1)), (String(\"b\"), Int(2))]), Row([Int(7), String(\"x\")]), \
             Bytes([99, 97, 102, 101]), String(\"2026-11-28\")]",
            "[Int(2), Null, Null, Null, Null, Null, Null, Null, Null, Null, Null, Null, Null, Null, \
             Null, Null, Null, Null, String(\"2026-11-29\")]",
        ]
    );
}

#[test]
fn compression_and_row_group_size_options_reach_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    run(&format!(
        "CREATE TABLE src (id BIGINT, name STRING) WITH ('connector' = 'datagen', 'number-of-rows' = '20000',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '20000');
         CREATE TABLE out (id BIGINT, name STRING) WITH ('connector' = 'filesystem', 'path' = '{}',
           'format' = 'parquet', 'parquet.compression' = 'ZSTD', 'parquet.block.size' = '65536');
         INSERT INTO out SELECT * FROM src;",
        out.display()
    ));
    let [_, rows, files] = pyarrow_read(&out);
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 20000);
    let ids: Vec<i64> = rows.iter().map(|r| r["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, (1..=20000).collect::<Vec<_>>());
    assert!(
        files["columns"]
            .as_object()
            .unwrap()
            .values()
            .all(|c| c[2] == "ZSTD"),
        "{files}"
    );
    // 20000 random 100-character names do not fit one 64 KiB row group.
    assert!(files["row_groups"].as_u64().unwrap() > 5, "{files}");

    // Only the column the query reads is decoded; the counts and sums match.
    let got = query(&format!(
        "CREATE TABLE back (id BIGINT, name STRING) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'parquet');
         SELECT COUNT(*), SUM(id) FROM back;",
        out.display()
    ));
    // An updating query: its last row is the final count.
    assert_eq!(
        got.last().map(String::as_str),
        Some("[Int(20000), Int(200010000)]"),
        "{} rows",
        got.len()
    );
}

#[test]
fn bad_options_and_types_are_refused_at_planning() {
    let dir = tempfile::tempdir().unwrap();
    let fail = |with: &str, columns: &str| -> String {
        let sql = format!(
            "CREATE TABLE out ({columns}) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'parquet'{with});
             INSERT INTO out SELECT * FROM (VALUES (1)) AS t(a);",
            dir.path().display()
        );
        Session::new(SessionOptions::default())
            .execute_script(&sql, |_, _| {})
            .expect_err("refused")
            .to_string()
    };
    let e = fail(", 'parquet.compression' = 'LZO'", "a INT");
    assert!(e.contains("parquet.compression") && e.contains("LZO"), "{e}");
    let e = fail(", 'parquet.block.size' = 'big'", "a INT");
    assert!(e.contains("parquet.block.size"), "{e}");
    let e = fail(", 'parquet.timestamp.time.unit' = 'seconds'", "a INT");
    assert!(
        e.contains("parquet.timestamp.time.unit") && e.contains("seconds"),
        "{e}"
    );
}
