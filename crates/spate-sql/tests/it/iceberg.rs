//! The `iceberg` sink, checked with the reader users run (pyiceberg): tables created from the
//! DDL in a hadoop catalog and in Iceberg's JDBC catalog (SQLite, which pyiceberg's
//! `SqlCatalog` reads), every type Flink's Iceberg connector maps, identity partitions, one
//! snapshot per checkpoint with Flink's summary keys, and the planning errors.

use std::path::Path;
use std::process::Command;

use serde_json::Value as Json;
use spate_sql::{Session, SessionOptions, SqlError};

use crate::avro_confluent::python;

/// What `iceberg_read.py` says of a table.
pub(crate) fn pyiceberg(args: &[&str]) -> Json {
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/iceberg_read.py");
    let out = Command::new(python())
        .arg(script)
        .args(args)
        .output()
        .expect("python runs (scripts/install-deps.sh installs pyiceberg in .tools/venv)");
    assert!(
        out.status.success(),
        "pyiceberg could not read {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

pub(crate) fn run(sql: &str) -> Result<(), String> {
    Session::new(SessionOptions::default())
        .execute_script(sql, |_, _| {})
        .map_err(|e: SqlError| e.render(sql))
}

pub(crate) fn hadoop_table(warehouse: &Path, extra: &str) -> String {
    format!(
        "'connector' = 'iceberg', 'catalog-name' = 'lake', 'catalog-type' = 'hadoop', \
         'warehouse' = 'file://{}', 'catalog-database' = 'db'{extra}",
        warehouse.display()
    )
}

const COLUMNS: &str = "id INT NOT NULL, tiny TINYINT, small SMALLINT, big BIGINT, price DECIMAL(10, 2), \
    wide DECIMAL(38, 6), name STRING, flag BOOLEAN, ratio DOUBLE, f FLOAT, d DATE, t TIME, \
    ts TIMESTAMP(3), ts_ltz TIMESTAMP_LTZ(3), tags ARRAY<INT>, attrs MAP<STRING, INT>, \
    nested ROW<a INT, b STRING>, raw BYTES, day STRING";

const INPUT: &str = concat!(
    r#"{"id": 1, "tiny": -1, "small": 300, "big": 10000000000, "price": 12.34, "#,
    r#""wide": 12345678901234567890.123456, "name": "ann", "flag": true, "ratio": 0.5, "f": 1.5, "#,
    r#""d": "2026-11-28", "t": "12:34:56.5", "ts": "2026-11-28 12:34:56.789", "#,
    r#""ts_ltz": "2025-11-28 12:34:56.789Z", "tags": [1, 2, 3], "attrs": {"a": 1}, "#,
    r#""nested": {"a": 7, "b": "x"}, "raw": "Y2FmZQ==", "day": "2026-11-28"}"#,
    "\n",
    r#"{"id": 2, "day": "2026-11-29"}"#,
    "\n"
);

#[test]
fn every_type_goes_into_a_partitioned_hadoop_table_that_pyiceberg_reads() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.json");
    std::fs::write(&input, INPUT).unwrap();
    let warehouse = dir.path().join("warehouse");
    let sql = format!(
        "CREATE TABLE src ({COLUMNS}) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
         CREATE TABLE events ({COLUMNS}, PRIMARY KEY (id) NOT ENFORCED) PARTITIONED BY (day) WITH ({});
         INSERT INTO events SELECT * FROM src;",
        input.display(),
        hadoop_table(&warehouse, "")
    );
    run(&sql).expect("the job runs");
    let table_dir = warehouse.join("db/events");
    let t = pyiceberg(&["hadoop", table_dir.to_str().unwrap()]);
    let schema = t["schema"].as_str().unwrap();
    for field in [
        "1: id: required int",
        "2: tiny: optional int",
        "3: small: optional int",
        "4: big: optional long",
        "5: price: optional decimal(10, 2)",
        "6: wide: optional decimal(38, 6)",
        "7: name: optional string",
        "8: flag: optional boolean",
        "9: ratio: optional double",
        "10: f: optional float",
        "11: d: optional date",
        "12: t: optional time",
        "13: ts: optional timestamp",
        "14: ts_ltz: optional timestamptz",
        "15: tags: optional list<int>",
        "16: attrs: optional map<string, int>",
        "17: nested: optional struct<",
        "18: raw: optional binary",
        "19: day: optional string",
    ] {
        assert!(schema.contains(field), "{field} in {schema}");
    }
    assert!(
        t["spec"].as_str().unwrap().contains("day: identity(19)"),
        "{}",
        t["spec"]
    );
    let mut rows = t["rows"].as_array().unwrap().clone();
    rows.sort_by_key(|r| r["id"].as_i64());
    assert_eq!(rows.len(), 2, "{rows:?}");
    let first = &rows[0];
    let expect = [
        ("tiny", "-1"),
        ("small", "300"),
        ("big", "10000000000"),
        ("price", "\"12.34\""),
        ("wide", "\"12345678901234567890.123456\""),
        ("name", "\"ann\""),
        ("flag", "true"),
        ("ratio", "0.5"),
        ("f", "1.5"),
        ("d", "\"2026-11-28\""),
        ("t", "\"12:34:56.500000\""),
        ("ts", "\"2026-11-28 12:34:56.789000\""),
        ("ts_ltz", "\"2025-11-28 12:34:56.789000+00:00\""),
        ("tags", "[1,2,3]"),
        ("attrs", "[[\"a\",1]]"),
        ("nested", "{\"a\":7,\"b\":\"x\"}"),
        ("raw", "\"b'cafe'\""),
        ("day", "\"2026-11-28\""),
    ];
    for (column, value) in expect {
        assert_eq!(first[column].to_string(), value, "column {column} of {first}");
    }
    assert_eq!(rows[1]["name"], Json::Null);
    assert_eq!(rows[1]["day"], "2026-11-29");
    // One file per partition, in the partition's directory.
    let files: Vec<&str> = t["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(
        files.iter().any(|f| f.contains("/data/day=2026-11-28/")),
        "{files:?}"
    );
    // A bounded job without checkpoints commits once at its end, as Flink does.
    let snapshots = t["snapshots"].as_array().unwrap();
    assert_eq!(snapshots.len(), 1);
    let summary = &snapshots[0]["summary"];
    assert_eq!(summary["flink.max-committed-checkpoint-id"], i64::MAX.to_string());
    assert_eq!(summary["flink.job-id"].as_str().unwrap().len(), 32, "{summary}");
    assert_eq!(summary["added-records"], "2");

    // A second run appends to the existing table: a snapshot more, its parent the first.
    run(&sql).expect("the second job runs");
    let t = pyiceberg(&["hadoop", table_dir.to_str().unwrap()]);
    assert_eq!(t["rows"].as_array().unwrap().len(), 4);
    let snapshots = t["snapshots"].as_array().unwrap();
    assert_eq!(snapshots.len(), 2);
    assert_eq!(snapshots[1]["parent"], snapshots[0]["id"]);
    assert_ne!(
        snapshots[1]["summary"]["flink.job-id"],
        snapshots[0]["summary"]["flink.job-id"]
    );
}

#[test]
fn checkpoints_commit_one_snapshot_each_into_a_sqlite_jdbc_catalog() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let warehouse = dir.path().join("warehouse");
    let n = 600;
    let sql = format!(
        "SET 'execution.checkpointing.interval' = '150ms';
         SET 'parallelism.default' = '2';
         CREATE TABLE gen (id BIGINT, v STRING) WITH (
           'connector' = 'datagen', 'number-of-rows' = '{n}', 'rows-per-second' = '400',
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '{n}',
           'fields.v.length' = '4');
         CREATE TABLE lake (id BIGINT, v STRING) WITH (
           'connector' = 'iceberg', 'catalog-name' = 'cat',
           'catalog-impl' = 'org.apache.iceberg.jdbc.JdbcCatalog',
           'uri' = 'jdbc:sqlite:{}', 'warehouse' = 'file://{}',
           'catalog-database' = 'shop', 'catalog-table' = 'ids');
         INSERT INTO lake SELECT * FROM gen;",
        db.display(),
        warehouse.display()
    );
    run(&sql).expect("the job runs");
    let t = pyiceberg(&[
        "sql",
        db.to_str().unwrap(),
        warehouse.to_str().unwrap(),
        "cat",
        "shop.ids",
    ]);
    let mut ids: Vec<i64> = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=n).collect::<Vec<i64>>(), "every row exactly once");
    let files: Vec<&str> = t["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let mut unique = files.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        files.len(),
        "no data file committed twice: {files:?}"
    );
    let snapshots = t["snapshots"].as_array().unwrap();
    assert!(
        snapshots.len() >= 2,
        "a snapshot per checkpoint with data: {snapshots:?}"
    );
    let mut last = i64::MIN;
    let mut added = 0;
    for s in snapshots {
        let summary = &s["summary"];
        let checkpoint: i64 = summary["flink.max-committed-checkpoint-id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(checkpoint > last, "checkpoints only go forward: {snapshots:?}");
        last = checkpoint;
        assert_eq!(summary["flink.job-id"], snapshots[0]["summary"]["flink.job-id"]);
        assert_eq!(summary["flink.operator-id"], "spate-iceberg-sink-lake");
        added += summary["added-records"]
            .as_str()
            .map_or(0, |a| a.parse::<i64>().unwrap());
    }
    assert_eq!(added, n);
    // Every file's manifest entry has column metrics pyiceberg reads: counts and bounds.
    let mut lowest = i64::MAX;
    let mut highest = i64::MIN;
    for f in t["metrics"].as_array().unwrap() {
        let id = &f["columns"]["id"];
        assert_eq!(id["value_count"], f["records"], "{f}");
        assert_eq!(id["null_value_count"], 0, "{f}");
        let (lo, hi) = (
            id["lower_bound"].as_i64().unwrap(),
            id["upper_bound"].as_i64().unwrap(),
        );
        assert!(lo <= hi, "{f}");
        (lowest, highest) = (lowest.min(lo), highest.max(hi));
        let v = &f["columns"]["v"];
        assert_eq!(v["lower_bound"].as_str().unwrap().len(), 4, "{f}");
        assert!(
            v["upper_bound"].as_str().unwrap() >= v["lower_bound"].as_str().unwrap(),
            "{f}"
        );
    }
    assert_eq!((lowest, highest), (1, n));
}

#[test]
fn tables_and_options_that_do_not_fit_are_refused_at_planning() {
    let dir = tempfile::tempdir().unwrap();
    let warehouse = dir.path().join("w");
    let create = |columns: &str, extra: &str| {
        format!(
            "CREATE TABLE src ({columns}) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
             CREATE TABLE t ({columns}) WITH ({});
             INSERT INTO t SELECT * FROM src;",
            hadoop_table(&warehouse, extra)
        )
    };
    run(&create("id BIGINT NOT NULL, name STRING", "")).expect("creates the table");
    let e = run(&create("id BIGINT NOT NULL, name INT", "")).unwrap_err();
    assert!(
        e.contains("column name: INT cannot be written into the Iceberg type string"),
        "{e}"
    );
    let e = run(&create("id BIGINT, name STRING", "")).unwrap_err();
    assert!(e.contains("column id: the Iceberg column is required"), "{e}");
    let e = run(&create("id BIGINT NOT NULL, extra STRING", "")).unwrap_err();
    assert!(
        e.contains("column extra: the Iceberg table has no such column"),
        "{e}"
    );
    let e = run(&create("id BIGINT NOT NULL", ", 'write.upsert.enabled' = 'true'")).unwrap_err();
    assert!(e.contains("Equality field columns shouldn't be empty"), "{e}");
    let e = run(&create("id BIGINT NOT NULL", "").replace("'hadoop'", "'hive'")).unwrap_err();
    assert!(e.contains("'catalog-type' = 'hive' is not supported"), "{e}");
    let sql = create("id BIGINT", "").replace(
        "'catalog-type' = 'hadoop'",
        "'catalog-impl' = 'org.apache.iceberg.jdbc.JdbcCatalog', 'uri' = 'jdbc:postgresql://127.0.0.1:1/none'",
    );
    let e = run(&sql).unwrap_err();
    assert!(e.contains("catalog lake"), "{e}");
}

fn query(sql: &str) -> Vec<String> {
    let mut got = Vec::new();
    Session::new(SessionOptions::default())
        .execute_script(sql, |_, r| {
            if let spate_sql::StatementResult::Rows { rows, .. } = r {
                got.extend(rows.iter().map(|r| format!("{r:?}")));
            }
        })
        .map_err(|e| e.render(sql))
        .expect("the query runs");
    got.sort();
    got
}

#[test]
fn the_bounded_source_reads_what_spate_and_pyiceberg_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("catalog.db");
    let warehouse = dir.path().join("warehouse");
    // pyiceberg creates and fills a table with its own writer.
    pyiceberg(&[
        "write",
        db.to_str().unwrap(),
        warehouse.to_str().unwrap(),
        "cat",
        "db.py",
    ]);
    let catalog = format!(
        "'connector' = 'iceberg', 'catalog-name' = 'cat', \
         'catalog-impl' = 'org.apache.iceberg.jdbc.JdbcCatalog', 'uri' = 'jdbc:sqlite:{}', \
         'warehouse' = 'file://{}', 'catalog-database' = 'db'",
        db.display(),
        warehouse.display()
    );
    let rows = query(&format!(
        "SET 'parallelism.default' = '2';
         CREATE TABLE py (id BIGINT, name STRING, price DECIMAL(10, 2), ts TIMESTAMP(6)) WITH ({catalog});
         SELECT id, name, price, ts FROM py;"
    ));
    assert_eq!(
        rows,
        [
            // 2026-11-28 12:00:00.123456 in microseconds; DECIMAL(10, 2) unscaled.
            r#"[Int(1), String("a"), Decimal(150), Timestamp(1795867200123456)]"#,
            "[Int(2), Null, Decimal(-225), Null]",
            r#"[Int(3), String("c"), Null, Timestamp(0)]"#,
        ],
    );
    // Spate appends to it, then reads both snapshots' files; a projection reads one column.
    run(&format!(
        "CREATE TABLE py (id BIGINT, name STRING) WITH ({catalog});
         INSERT INTO py VALUES (4, 'd');"
    ))
    .expect("appends");
    let rows = query(&format!(
        "CREATE TABLE py (id BIGINT, name STRING) WITH ({catalog});
         SELECT name FROM py WHERE id > 2;"
    ));
    assert_eq!(rows, [r#"[String("c")]"#, r#"[String("d")]"#]);
    // Errors name the table.
    let e = Session::new(SessionOptions::default())
        .execute_script(
            &format!("CREATE TABLE nope (id BIGINT) WITH ({catalog}, 'catalog-table' = 'missing'); SELECT * FROM nope;"),
            |_, _| {},
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Iceberg table db.missing does not exist in catalog cat"),
        "{e}"
    );
}

/// spate-iceberg's REST catalog fixture (its REST routes over pyiceberg's `SqlCatalog`),
/// serving `db` and `warehouse`, with a bearer token.
struct RestFixture {
    child: std::process::Child,
    uri: String,
}

impl RestFixture {
    fn start(db: &Path, warehouse: &Path, token: &str) -> Self {
        use std::io::BufRead;
        let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../spate-iceberg/tests/rest_fixture.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(db)
            .arg(warehouse)
            .args(["--token", token])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python runs");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the fixture says its port");
        let port: u16 = line
            .strip_prefix("PORT ")
            .and_then(|p| p.trim().parse().ok())
            .expect("PORT <n>");
        RestFixture {
            child,
            uri: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for RestFixture {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn the_rest_catalog_takes_appends_and_reads() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("rest.db");
    let warehouse = dir.path().join("warehouse");
    let server = RestFixture::start(&db, &warehouse, "secret");
    let table = |token: &str| {
        format!(
            "CREATE TABLE lake (id BIGINT, name STRING) PARTITIONED BY (name) WITH (
               'connector' = 'iceberg', 'catalog-name' = 'rest', 'catalog-type' = 'rest',
               'uri' = '{}', 'token' = '{token}', 'catalog-database' = 'shop', 'catalog-table' = 'names');",
            server.uri
        )
    };
    run(&format!(
        "{} INSERT INTO lake VALUES (1, 'a'), (2, 'b'), (3, 'a');",
        table("secret")
    ))
    .expect("appends through REST");
    // Read back through REST by Spate, and through the catalog's database by pyiceberg.
    assert_eq!(
        query(&format!(
            "{} SELECT id FROM lake WHERE name = 'a';",
            table("secret")
        )),
        ["[Int(1)]", "[Int(3)]"]
    );
    let t = pyiceberg(&[
        "sql",
        db.to_str().unwrap(),
        warehouse.to_str().unwrap(),
        "rest",
        "shop.names",
    ]);
    assert_eq!(t["rows"].as_array().unwrap().len(), 3);
    assert!(
        t["spec"].as_str().unwrap().contains("name: identity(2)"),
        "{}",
        t["spec"]
    );
    assert_eq!(
        t["snapshots"][0]["summary"]["flink.max-committed-checkpoint-id"],
        i64::MAX.to_string()
    );
    // A wrong token is the server's refusal, naming the catalog.
    let e = run(&format!("{} INSERT INTO lake VALUES (4, 'c');", table("wrong"))).unwrap_err();
    assert!(e.contains("catalog rest") && e.contains("401"), "{e}");
}
