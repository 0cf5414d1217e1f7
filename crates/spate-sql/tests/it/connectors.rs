//! The connectors end to end: tables declared in SQL, sources and sinks built with
//! `connector::scan`/`connector::write` on a real engine job, real files and a real embedded
//! Kafka broker on 127.0.0.1.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use spate_connectors::print::PrintTarget;
use spate_engine::{Record, StreamEnvironment};
use spate_sql::connector::{self, ConnectorContext, ScanPlan};
use spate_sql::plan::Rowtime;
use spate_sql::value::{Row, Value};
use spate_sql::{Catalog, TableDef, parse};

/// The tables a script declares.
fn tables(sql: &str) -> Catalog {
    let mut catalog = Catalog::new();
    for s in parse(sql).unwrap() {
        catalog.apply(&s).unwrap();
    }
    catalog
}

fn table(c: &Catalog, name: &str) -> TableDef {
    c.table(name).unwrap().clone()
}

fn plan(table: TableDef) -> ScanPlan {
    ScanPlan {
        table,
        complete: Arc::new(|_: &mut [Record<Row>]| Ok(())),
        rowtime: None,
        used: None,
    }
}

fn print_ctx() -> (ConnectorContext, PrintTarget) {
    let target = PrintTarget::buffer();
    let ctx = ConnectorContext {
        print_target: Some(target.clone()),
        ..ConnectorContext::default()
    };
    (ctx, target)
}

#[test]
fn datagen_sequence_and_random_to_print_in_flinks_line_format() {
    let c = tables(
        "CREATE TABLE g (id INT, s STRING, n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '10', \
           'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '4', \
           'fields.s.length' = '5', 'fields.n.min' = '-3', 'fields.n.max' = '3');
         CREATE TABLE p (id INT, s STRING, n BIGINT) WITH ('connector' = 'print', 'print-identifier' = 'id');",
    );
    let (ctx, target) = print_ctx();
    let env = StreamEnvironment::new();
    let rows = connector::scan(&env, plan(table(&c, "g")), &ctx).unwrap();
    connector::write(&rows, &table(&c, "p"), &ctx).unwrap();
    env.execute().unwrap();
    let out = target.contents();
    let lines: Vec<&str> = out.lines().collect();
    // The sequence 1..=4 ends the table before number-of-rows (10).
    assert_eq!(lines.len(), 4, "{out}");
    for (i, line) in lines.iter().enumerate() {
        // Flink 2.3 printed `id> +I[1, 315d0]` for this shape at parallelism 1 (5 hex digits).
        let rest = line.strip_prefix(&format!("id> +I[{}, ", i + 1)).unwrap();
        let (s, n) = rest.strip_suffix(']').unwrap().split_once(", ").unwrap();
        assert_eq!(s.len(), 5, "{line}");
        assert!(
            s.chars()
                .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()),
            "{line}"
        );
        let n: i64 = n.parse().unwrap();
        assert!((-3..=3).contains(&n), "{line}");
    }
}

#[test]
fn datagen_number_of_rows_string_sequences_and_type_bounds_as_flink() {
    // Flink 2.3 printed `+I[1, 7, e95, 355f, 710.37, false, 2026-11-22T12:58:40.701]` and two
    // more rows for this table (/tmp/conn-probe/probe3.sql): number-of-rows ends the id
    // sequence, s counts from 7 as a string, random strings fill CHAR(3) and VARCHAR(4).
    let c = tables(
        "CREATE TABLE g (id INT, s STRING, c CHAR(3), v VARCHAR(4), d DECIMAL(5, 2)) WITH ('connector' = 'datagen', \
           'number-of-rows' = '3', 'fields.id.kind' = 'sequence', 'fields.id.start' = '1', \
           'fields.id.end' = '10', 'fields.s.kind' = 'sequence', 'fields.s.start' = '7', 'fields.s.end' = '20');",
    );
    let env = StreamEnvironment::new();
    let got = connector::scan(&env, plan(table(&c, "g")), &ConnectorContext::default())
        .unwrap()
        .collect();
    env.execute().unwrap();
    let mut got = got.values();
    got.sort_by_key(|r| r[0].as_i64());
    assert_eq!(got.len(), 3);
    for (i, r) in got.iter().enumerate() {
        assert_eq!(r[0], Value::Int(i as i64 + 1));
        assert_eq!(r[1], Value::String((i + 7).to_string()));
        assert_eq!(r[2].as_str().unwrap().len(), 3);
        assert_eq!(r[3].as_str().unwrap().len(), 4);
        let Value::Decimal(d) = r[4] else { panic!("{r:?}") };
        assert!((0..100_000).contains(&d), "DECIMAL(5, 2) in [0, 1000): {r:?}");
    }
}

#[test]
fn print_prefixes_subtask_numbers_at_parallelism_two() {
    let c = tables(
        "CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence', \
           'fields.id.start' = '1', 'fields.id.end' = '4');
         CREATE TABLE p (id INT) WITH ('connector' = 'print', 'print-identifier' = 'id');
         CREATE TABLE q (id INT) WITH ('connector' = 'print');",
    );
    let (ctx, target) = print_ctx();
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    let rows = connector::scan(&env, plan(table(&c, "g")), &ctx).unwrap();
    connector::write(&rows, &table(&c, "p"), &ctx).unwrap();
    connector::write(&rows, &table(&c, "q"), &ctx).unwrap();
    env.execute().unwrap();
    let mut lines: Vec<String> = target.contents().lines().map(str::to_string).collect();
    lines.sort();
    // Flink 2.3 at parallelism 2 printed `id:2> +I[2, ..]` with an identifier and `1> +I[1, ..]`
    // without; which subtask gets which row differs, so only the shape is compared.
    assert_eq!(lines.len(), 8, "{lines:?}");
    let with_id = lines
        .iter()
        .filter(|l| l.starts_with("id:1> +I[") || l.starts_with("id:2> +I["))
        .count();
    let without = lines
        .iter()
        .filter(|l| l.starts_with("1> +I[") || l.starts_with("2> +I["))
        .count();
    assert_eq!((with_id, without), (4, 4), "{lines:?}");
}

#[test]
fn print_formats_values_as_flink_does() {
    let c = tables(
        "CREATE TABLE p (a INT, ts TIMESTAMP(3), d DECIMAL(10, 2), ltz TIMESTAMP_LTZ(3), m MAP<STRING, INT>, \
           r ROW<x INT, y STRING>, b BYTES, f DOUBLE, t TIME) WITH ('connector' = 'print');",
    );
    let (ctx, target) = print_ctx();
    let env = StreamEnvironment::new();
    let ts = |s: &str| Value::Timestamp(spate_sql::temporal::parse_timestamp(s).unwrap());
    let row = vec![
        Value::Int(1),
        ts("2026-11-01 08:01:00"),
        Value::Decimal(1250),
        Value::Timestamp(1_767_225_600_123_000),
        Value::Map(vec![(Value::String("k".into()), Value::Int(1))]),
        Value::Row(vec![Value::Int(1), Value::String("x".into())]),
        Value::Bytes(vec![1, 2, 255]),
        Value::Float(1e20),
        Value::Time(((8 * 60 + 1) * 60 + 2) * 1_000_000_000),
    ];
    let nulls = vec![Value::Null; 9];
    let rows = env.from_collection(vec![row, nulls]);
    connector::write(&rows, &table(&c, "p"), &ctx).unwrap();
    env.execute().unwrap();
    // Flink 2.3's print of the same values (/tmp/conn-probe/probe1.sql).
    assert_eq!(
        target.contents(),
        "+I[1, 2026-11-01T08:01, 12.50, 2026-01-01T00:00:00.123Z, {k=1}, +I[1, x], [1, 2, -1], 1.0E20, 08:01:02]\n\
         +I[null, null, null, null, null, null, null, null, null]\n"
    );
}

#[test]
fn rowtime_sets_record_timestamps_and_computed_columns_are_filled() {
    let c = tables(
        "CREATE TABLE g (id BIGINT, ts TIMESTAMP(3), id2 AS id * 2, WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) \
         WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence', 'fields.id.start' = '0', \
           'fields.id.end' = '99', 'fields.ts.max-past' = '10 s');",
    );
    let mut p = plan(table(&c, "g"));
    // What the planner's completion of `id2 AS id * 2` does.
    p.complete = Arc::new(|rows: &mut [Record<Row>]| {
        for r in rows {
            let id = r.value[0].as_i64().unwrap();
            r.value[2] = Value::Int(id * 2);
        }
        Ok(())
    });
    p.rowtime = Some(Rowtime {
        column: 1,
        delay_ms: 1000,
    });
    let env = StreamEnvironment::new();
    let got = connector::scan(&env, p, &ConnectorContext::default())
        .unwrap()
        .collect();
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    env.execute().unwrap();
    let records = got.records();
    assert_eq!(records.len(), 100);
    for r in &records {
        let micros = r.value[1].as_timestamp_micros().unwrap();
        assert_eq!(
            r.timestamp,
            micros / 1000,
            "engine timestamp is the rowtime in ms"
        );
        // max-past 10 s: within the 10 s before the job started (plus slack for the run).
        assert!(
            r.timestamp <= started + 60_000 && r.timestamp >= started - 70_000,
            "{r:?}"
        );
        assert_eq!(r.value[2], Value::Int(r.value[0].as_i64().unwrap() * 2));
    }
}

#[test]
fn watermark_for_ts_as_ts_is_the_largest_rowtime() {
    // `WATERMARK FOR ts AS ts`: Flink SQL's watermark is the largest ts itself (delay 0).
    let c = tables(
        "CREATE TABLE g (id BIGINT, ts AS TO_TIMESTAMP_LTZ(id * 1000, 3), WATERMARK FOR ts AS ts) \
         WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence', 'fields.id.start' = '0', \
           'fields.id.end' = '9');",
    );
    let mut p = plan(table(&c, "g"));
    p.complete = Arc::new(|rows: &mut [Record<Row>]| {
        for r in rows {
            let id = r.value[0].as_i64().unwrap();
            r.value[1] = Value::Timestamp(id * 1_000_000);
        }
        Ok(())
    });
    p.rowtime = Some(Rowtime {
        column: 1,
        delay_ms: 0,
    });
    let env = StreamEnvironment::new();
    env.set_batch_size(1);
    let seen = connector::scan(&env, p, &ConnectorContext::default())
        .unwrap()
        .process(|r: Row, cx: &mut spate_engine::ProcessContext<'_, (i64, i64)>| {
            cx.collect((r[0].as_i64().unwrap(), cx.current_watermark()));
        })
        .collect();
    env.execute().unwrap();
    let seen = seen.values();
    assert_eq!(seen.len(), 10);
    // Each row sees the watermark its predecessor raised: exactly (id - 1) s, not 1 ms less.
    for (id, wm) in seen.iter().skip(1) {
        assert_eq!(*wm, (id - 1) * 1000, "{seen:?}");
    }
}

#[test]
fn a_null_rowtime_fails_the_job_as_flink_does() {
    let c = tables(
        "CREATE TABLE g (id BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts) \
         WITH ('connector' = 'datagen', 'number-of-rows' = '5', 'fields.ts.null-rate' = '1');",
    );
    let mut p = plan(table(&c, "g"));
    p.rowtime = Some(Rowtime {
        column: 1,
        delay_ms: 0,
    });
    let env = StreamEnvironment::new();
    let _ = connector::scan(&env, p, &ConnectorContext::default())
        .unwrap()
        .collect();
    let err = env.execute().unwrap_err().to_string();
    assert!(err.contains("RowTime field should not be null"), "{err}");
    assert!(err.contains("table g"), "{err}");
}

#[test]
fn bad_option_values_name_table_and_option() {
    let c = tables(
        "CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'rows-per-second' = 'fast');
         CREATE TABLE h (id INT) WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence', \
           'fields.id.start' = '5', 'fields.id.end' = '1');
         CREATE TABLE n (x INT) WITH ('connector' = 'nexmark');
         CREATE TABLE k (x INT) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json');
         CREATE TABLE b (x INT) WITH ('connector' = 'kafka', 'topic' = 't', 'format' = 'json', \
           'properties.bootstrap.servers' = 'x:1', 'scan.bounded.mode' = 'timestamp', \
           'scan.bounded.timestamp-millis' = '1');",
    );
    let env = StreamEnvironment::new();
    let ctx = ConnectorContext::default();
    let err = |name: &str| {
        connector::scan(&env, plan(table(&c, name)), &ctx)
            .unwrap_err()
            .to_string()
    };
    let e = err("g");
    assert!(
        e.contains("table g") && e.contains("'rows-per-second'") && e.contains("'fast'"),
        "{e}"
    );
    let e = err("h");
    assert!(e.contains("table h") && e.contains("fields.id.end"), "{e}");
    let e = err("n");
    assert!(e.contains("table n") && e.contains("nexmark"), "{e}");
    let e = err("k");
    assert!(
        e.contains("table k") && e.contains("properties.bootstrap.servers"),
        "{e}"
    );
    let e = err("b");
    assert!(
        e.contains("scan.bounded.mode") && e.contains("'timestamp' is not supported"),
        "{e}"
    );
}

#[test]
fn nexmark_event_table_and_bid_table() {
    let c = tables(
        "CREATE TABLE datagen (event_type INT, person ROW<id BIGINT, name VARCHAR, `dateTime` TIMESTAMP(3)>, \
           auction ROW<id BIGINT, seller BIGINT>, bid ROW<auction BIGINT, price BIGINT, `dateTime` TIMESTAMP(3)>) \
         WITH ('connector' = 'nexmark', 'first-event.rate' = '1000', 'next-event.rate' = '1000', 'events.num' = '100');
         CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, `dateTime` TIMESTAMP(3)) \
         WITH ('connector' = 'nexmark', 'events.num' = '100');",
    );
    let env = StreamEnvironment::new();
    let ctx = ConnectorContext::default();
    let all = connector::scan(&env, plan(table(&c, "datagen")), &ctx)
        .unwrap()
        .collect();
    let bids = connector::scan(&env, plan(table(&c, "bid")), &ctx)
        .unwrap()
        .collect();
    env.execute().unwrap();
    let all = all.values();
    assert_eq!(all.len(), 100);
    // 1 person : 3 auctions : 46 bids in every 50 events.
    let kinds: Vec<i64> = all.iter().map(|r| r[0].as_i64().unwrap()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == 0).count(), 2);
    assert_eq!(kinds.iter().filter(|k| **k == 1).count(), 6);
    assert_eq!(kinds.iter().filter(|k| **k == 2).count(), 92);
    let first = all.iter().find(|r| r[0] == Value::Int(0)).unwrap();
    let Value::Row(person) = &first[1] else {
        panic!("{first:?}")
    };
    assert_eq!(
        person[0],
        Value::Int(1000),
        "the first person id, as Nexmark's generator"
    );
    assert!(first[2].is_null() && first[3].is_null());
    // At 1000 events/s, event n is n ms after the first.
    let times: Vec<i64> = all
        .iter()
        .filter_map(|r| match &r[3] {
            Value::Row(b) => b[2].as_timestamp_micros(),
            _ => None,
        })
        .collect();
    assert_eq!(
        times.iter().max().unwrap() - times.iter().min().unwrap(),
        95_000,
        "bids are events 4..=99"
    );
    let bids = bids.values();
    assert_eq!(bids.len(), 92);
    assert!(
        bids.iter()
            .all(|r| r[1].as_i64().unwrap() >= 1000 && r[2].as_i64().unwrap() > 0)
    );
}

// ---- files ----

/// The contents of the files directly in `d`, in file-name order.
fn files_in(d: &std::path::Path) -> String {
    let mut names: Vec<_> = std::fs::read_dir(d)
        .unwrap_or_else(|e| panic!("{}: {e}", d.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

#[test]
fn filesystem_json_file_to_csv_directory_and_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.json");
    std::fs::write(
        &input,
        "{\"a\":1,\"s\":\"x\",\"k\":\"p1\"}\n{\"a\":2,\"s\":\"y, z\",\"k\":\"p2\"}\n\n{\"a\":3,\"s\":\"w\",\"k\":null}\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let parts = dir.path().join("parts");
    let c = tables(&format!(
        "CREATE TABLE src (a INT, s STRING, k STRING) WITH ('connector' = 'filesystem', 'path' = 'file://{}', 'format' = 'json');
         CREATE TABLE dst (a INT, s STRING, k STRING) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');
         CREATE TABLE part (a INT, s STRING, k STRING) PARTITIONED BY (k) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');",
        input.display(),
        out.display(),
        parts.display()
    ));
    let ctx = ConnectorContext::default();
    let env = StreamEnvironment::new();
    let rows = connector::scan(&env, plan(table(&c, "src")), &ctx).unwrap();
    connector::write(&rows, &table(&c, "dst"), &ctx).unwrap();
    connector::write(&rows, &table(&c, "part"), &ctx).unwrap();
    env.execute().unwrap();
    let read_dir = |d: &std::path::Path| files_in(d);
    // Flink's csv: a NULL is an empty field, a field with the delimiter is quoted.
    assert_eq!(read_dir(&out), "1,x,p1\n2,\"y, z\",p2\n3,w,\n");
    // Flink 2.3 wrote k=p1/…: `1,x`, k=p2/…: `2,y` and k=__DEFAULT_PARTITION__/…: `3,z` for a
    // partitioned csv table (/tmp/conn-probe/probe1.sql): no partition column in the records.
    assert_eq!(read_dir(&parts.join("k=p1")), "1,x\n");
    assert_eq!(read_dir(&parts.join("k=p2")), "2,\"y, z\"\n");
    assert_eq!(read_dir(&parts.join("k=__DEFAULT_PARTITION__")), "3,w\n");

    // Read back: the partition column from the directory names, the default partition NULL.
    let c = tables(&format!(
        "CREATE TABLE back (a INT, s STRING, k STRING, f STRING METADATA FROM 'file.name' VIRTUAL) \
         PARTITIONED BY (k) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');",
        parts.display()
    ));
    let env = StreamEnvironment::new();
    let got = connector::scan(&env, plan(table(&c, "back")), &ctx)
        .unwrap()
        .collect();
    env.execute().unwrap();
    let mut got = got.values();
    got.sort_by_key(|r| r[0].as_i64());
    let s = |v: &str| Value::String(v.into());
    let file = |r: &Row| r[3].as_str().unwrap().starts_with("part-");
    assert!(got.iter().all(file), "{got:?}");
    let got: Vec<Row> = got.into_iter().map(|r| r[..3].to_vec()).collect();
    assert_eq!(
        got,
        vec![
            vec![Value::Int(1), s("x"), s("p1")],
            vec![Value::Int(2), s("y, z"), s("p2")],
            vec![Value::Int(3), s("w"), Value::Null],
        ]
    );
}

/// Rows of a batch go to their partition's directory when the partition columns are not the
/// last ones, when only the inner partition value changes, when a partition comes back after
/// another, and for NULLs (the sink names a directory again only when a value changes).
#[test]
fn filesystem_partitions_in_runs_and_interleaved() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.json");
    let rows = [
        (1, Some("x"), "m"),
        (2, Some("x"), "m"),
        (3, Some("x"), "n"),
        (4, Some("y"), "n"),
        (5, Some("x"), "m"),
        (6, None, "m"),
        (7, None, "m"),
    ];
    let lines: String = rows
        .iter()
        .map(|(a, k1, k2)| {
            let k1 = k1.map_or("null".to_string(), |k| format!("\"{k}\""));
            format!("{{\"a\":{a},\"k1\":{k1},\"s\":\"s{a}\",\"k2\":\"{k2}\"}}\n")
        })
        .collect();
    std::fs::write(&input, lines).unwrap();
    let parts = dir.path().join("parts");
    let c = tables(&format!(
        "CREATE TABLE src (a INT, k1 STRING, s STRING, k2 STRING) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
         CREATE TABLE part (a INT, k1 STRING, s STRING, k2 STRING) PARTITIONED BY (k1, k2) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv');",
        input.display(),
        parts.display()
    ));
    let ctx = ConnectorContext::default();
    let env = StreamEnvironment::new();
    let scanned = connector::scan(&env, plan(table(&c, "src")), &ctx).unwrap();
    connector::write(&scanned, &table(&c, "part"), &ctx).unwrap();
    env.execute().unwrap();
    let read_dir = |d: std::path::PathBuf| files_in(&d);
    assert_eq!(read_dir(parts.join("k1=x/k2=m")), "1,s1\n2,s2\n5,s5\n");
    assert_eq!(read_dir(parts.join("k1=x/k2=n")), "3,s3\n");
    assert_eq!(read_dir(parts.join("k1=y/k2=n")), "4,s4\n");
    assert_eq!(
        read_dir(parts.join("k1=__DEFAULT_PARTITION__/k2=m")),
        "6,s6\n7,s7\n"
    );
    let dirs = |d: std::path::PathBuf| std::fs::read_dir(d).unwrap().count();
    assert_eq!(dirs(parts.clone()), 3, "k1=x, k1=y, k1=__DEFAULT_PARTITION__");
    assert_eq!(dirs(parts.join("k1=x")), 2);
}

/// `sink.partition-commit.policy.kind` = `success-file`: at the end of a bounded input every
/// partition written gets its success file (named by the option), also when two subtasks write
/// the table; without a policy none does; a `custom` policy is refused with a clear error.
#[test]
fn filesystem_partition_commit_writes_success_files() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.json");
    std::fs::write(
        &input,
        "{\"a\":1,\"k\":\"x\"}\n{\"a\":2,\"k\":\"y\"}\n{\"a\":3,\"k\":\"x\"}\n",
    )
    .unwrap();
    let run = |name: &str, extra: &str| -> Result<std::path::PathBuf, String> {
        let out = dir.path().join(name);
        let c = tables(&format!(
            "CREATE TABLE src (a INT, k STRING) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
             CREATE TABLE dst (a INT, k STRING) PARTITIONED BY (k) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'csv'{extra});",
            input.display(),
            out.display()
        ));
        let ctx = ConnectorContext::default();
        let env = StreamEnvironment::new();
        let scanned = connector::scan(&env, plan(table(&c, "src")), &ctx).unwrap();
        connector::write(&scanned, &table(&c, "dst"), &ctx).map_err(|e| e.to_string())?;
        env.execute().map_err(|e| e.to_string())?;
        Ok(out)
    };
    let with = run(
        "with",
        ", 'sink.partition-commit.policy.kind' = 'success-file', \
         'sink.partition-commit.success-file.name' = '_DONE'",
    )
    .unwrap();
    for k in ["k=x", "k=y"] {
        assert!(with.join(k).join("_DONE").is_file(), "{k}");
    }
    assert_eq!(files_in(&with.join("k=x")), "1\n3\n", "the success file is empty");
    let without = run("without", "").unwrap();
    assert!(!without.join("k=x").join("_SUCCESS").exists());
    // Two subtasks write the table: each partition is marked done once both have finished
    // (the committer they share), with every row in its files.
    let parallel = run(
        "parallel",
        ", 'sink.partition-commit.policy.kind' = 'success-file', 'sink.parallelism' = '2'",
    )
    .unwrap();
    for k in ["k=x", "k=y"] {
        assert!(parallel.join(k).join("_SUCCESS").is_file(), "{k}");
    }
    let mut lines: Vec<&str> = Vec::new();
    let x = files_in(&parallel.join("k=x"));
    lines.extend(x.lines());
    lines.sort_unstable();
    assert_eq!(lines, ["1", "3"]);
    let custom = run("custom", ", 'sink.partition-commit.policy.kind' = 'custom'").unwrap_err();
    assert!(custom.contains("custom commit policies"), "{custom}");
}

#[test]
fn filesystem_metadata_names_the_file_of_each_row() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n").unwrap();
    std::fs::write(dir.path().join("b.json"), "{\"n\":11}\n{\"n\":12}\n").unwrap();
    std::fs::write(dir.path().join("_hidden.json"), "{\"n\":99}\n").unwrap();
    let c = tables(&format!(
        "CREATE TABLE f (n INT, name STRING METADATA FROM 'file.name' VIRTUAL, \
           size BIGINT METADATA FROM 'file.size' VIRTUAL) \
         WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');",
        dir.path().display()
    ));
    let env = StreamEnvironment::new();
    // One row per poll: polls that go on within a file must keep naming it.
    env.set_batch_size(1);
    let got = connector::scan(&env, plan(table(&c, "f")), &ConnectorContext::default())
        .unwrap()
        .collect();
    env.execute().unwrap();
    let mut got = got.values();
    got.sort_by_key(|r| r[0].as_i64());
    let s = |v: &str| Value::String(v.into());
    assert_eq!(
        got,
        vec![
            vec![Value::Int(1), s("a.json"), Value::Int(24)],
            vec![Value::Int(2), s("a.json"), Value::Int(24)],
            vec![Value::Int(3), s("a.json"), Value::Int(24)],
            vec![Value::Int(11), s("b.json"), Value::Int(18)],
            vec![Value::Int(12), s("b.json"), Value::Int(18)],
        ]
    );
}

#[test]
fn filesystem_malformed_line_fails_with_its_position_or_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.json");
    std::fs::write(&input, "{\"a\":1}\n{oops\n{\"a\":3}\n").unwrap();
    let c = tables(&format!(
        "CREATE TABLE strict_json (a INT) WITH ('connector' = 'filesystem', 'path' = '{0}', 'format' = 'json');
         CREATE TABLE lenient (a INT) WITH ('connector' = 'filesystem', 'path' = '{0}', 'format' = 'json', \
           'json.ignore-parse-errors' = 'true');",
        input.display()
    ));
    let ctx = ConnectorContext::default();
    let env = StreamEnvironment::new();
    let _ = connector::scan(&env, plan(table(&c, "strict_json")), &ctx)
        .unwrap()
        .collect();
    let err = env.execute().unwrap_err().to_string();
    assert!(err.contains("in.json:2"), "{err}");

    let env = StreamEnvironment::new();
    let got = connector::scan(&env, plan(table(&c, "lenient")), &ctx)
        .unwrap()
        .collect();
    env.execute().unwrap();
    assert_eq!(got.values(), vec![vec![Value::Int(1)], vec![Value::Int(3)]]);
    assert_eq!(ctx.stats.get("lenient.skipped-records"), 1);
}

/// A CSV file is cut into records as Flink's reader (Jackson's CsvParser) cuts it: quoted
/// fields hold line breaks, an escaped quote does not close a field, comment lines are skipped,
/// CRLF ends a record. Once, an escaped quote made every row after it vanish without an error.
#[test]
fn filesystem_csv_records_span_lines_escapes_and_comments() {
    let dir = tempfile::tempdir().unwrap();
    let escape = dir.path().join("escape.csv");
    std::fs::write(&escape, "2,\"es\\\"c\"\n3,z\n4,w\n").unwrap();
    let comments = dir.path().join("comments.csv");
    std::fs::write(&comments, "# a comment\n1,x\n# another \"one\n2,\"y\r\nz\"\r\n").unwrap();
    let multiline = dir.path().join("ml.csv");
    std::fs::write(&multiline, "1;'multi\nline';3\n2;ok;4\n").unwrap();
    let c = tables(&format!(
        "CREATE TABLE e (id INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '{}', \
           'format' = 'csv', 'csv.escape-character' = '\\');
         CREATE TABLE c (id INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '{}', \
           'format' = 'csv', 'csv.allow-comments' = 'true');
         CREATE TABLE m (id INT, s STRING, n INT) WITH ('connector' = 'filesystem', 'path' = '{}', \
           'format' = 'csv', 'csv.field-delimiter' = ';', 'csv.quote-character' = '''');",
        escape.display(),
        comments.display(),
        multiline.display()
    ));
    let read = |name: &str| {
        let env = StreamEnvironment::new();
        let got = connector::scan(&env, plan(table(&c, name)), &ConnectorContext::default())
            .unwrap()
            .collect();
        env.execute().unwrap();
        got.values()
    };
    let s = |v: &str| Value::String(v.into());
    // Flink 2.3 (tests/flink/csv_records, /tmp/conf/csv_escape_min): all three rows.
    assert_eq!(
        read("e"),
        vec![
            vec![Value::Int(2), s("es\"c")],
            vec![Value::Int(3), s("z")],
            vec![Value::Int(4), s("w")],
        ]
    );
    assert_eq!(
        read("c"),
        vec![vec![Value::Int(1), s("x")], vec![Value::Int(2), s("y\r\nz")]]
    );
    assert_eq!(
        read("m"),
        vec![
            vec![Value::Int(1), s("multi\nline"), Value::Int(3)],
            vec![Value::Int(2), s("ok"), Value::Int(4)],
        ]
    );
}

/// A CSV file whose records cannot all be read fails, or with `ignore-parse-errors` skips and
/// counts the record; rows never just vanish.
#[test]
fn filesystem_csv_unreadable_records_fail_or_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    // A lone CR ends a record for Flink; Spate cuts at LF only, so that record fails whole.
    std::fs::write(&input, "1,a\n2,\"b\"x\n3,c\r4,d\n5,e\n6,\"open\n7,f\n").unwrap();
    let c = tables(&format!(
        "CREATE TABLE strict_csv (id INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '{0}', 'format' = 'csv');
         CREATE TABLE lenient (id INT, s STRING) WITH ('connector' = 'filesystem', 'path' = '{0}', 'format' = 'csv', \
           'csv.ignore-parse-errors' = 'true');",
        input.display()
    ));
    let ctx = ConnectorContext::default();
    let env = StreamEnvironment::new();
    let _ = connector::scan(&env, plan(table(&c, "strict_csv")), &ctx)
        .unwrap()
        .collect();
    let err = env.execute().unwrap_err().to_string();
    assert!(err.contains("in.csv:2"), "{err}");

    let env = StreamEnvironment::new();
    let got = connector::scan(&env, plan(table(&c, "lenient")), &ctx)
        .unwrap()
        .collect();
    env.execute().unwrap();
    let s = |v: &str| Value::String(v.into());
    // As Flink 2.3 skips `2,"b"x` and goes on, and an unterminated quote takes the rest of the
    // file with it.
    assert_eq!(
        got.values(),
        vec![vec![Value::Int(1), s("a")], vec![Value::Int(5), s("e")]]
    );
    assert_eq!(ctx.stats.get("lenient.skipped-records"), 3);
}

// ---- Kafka ----

pub(crate) mod kafka {
    use std::time::Duration;

    use rdkafka::ClientConfig;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    use spate_broker::{Broker, BrokerConfig, BrokerHandle};

    use super::*;

    /// A record to produce: partition, key, value, timestamp, headers.
    pub(crate) type Produced<'a> = (i32, Option<&'a str>, &'a str, i64, &'a [(&'a str, &'a str)]);
    /// A record read back: key, value, timestamp, headers.
    pub(crate) type Consumed = (Option<String>, String, i64, Vec<(String, String)>);

    pub(crate) struct TestBroker {
        handle: BrokerHandle,
        _dir: tempfile::TempDir,
        // Last: the broker's tasks run on it until the end of the test.
        _rt: tokio::runtime::Runtime,
    }

    impl TestBroker {
        pub(crate) fn start() -> TestBroker {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let dir = tempfile::tempdir().unwrap();
            let handle = rt
                .block_on(Broker::start(BrokerConfig::ephemeral(dir.path())))
                .unwrap();
            TestBroker {
                handle,
                _dir: dir,
                _rt: rt,
            }
        }

        pub(crate) fn bootstrap(&self) -> String {
            self.handle.bootstrap_servers()
        }

        pub(crate) fn topic(&self, name: &str, partitions: i32) {
            self.handle
                .store()
                .create_topic(name, partitions, &Default::default())
                .unwrap();
        }

        /// Produces `(partition, key, value, timestamp, headers)` records.
        pub(crate) fn produce(&self, topic: &str, records: &[Produced<'_>]) {
            let producer: BaseProducer = ClientConfig::new()
                .set("bootstrap.servers", self.bootstrap())
                .set("log_level", "3")
                .create()
                .unwrap();
            for (p, key, value, ts, headers) in records {
                let mut h = OwnedHeaders::new();
                for (k, v) in *headers {
                    h = h.insert(Header {
                        key: k,
                        value: Some(v.as_bytes()),
                    });
                }
                let mut r = BaseRecord::<[u8], [u8]>::to(topic)
                    .partition(*p)
                    .payload(value.as_bytes())
                    .timestamp(*ts)
                    .headers(h);
                if let Some(k) = key {
                    r = r.key(k.as_bytes());
                }
                producer.send(r).unwrap();
            }
            producer.flush(Duration::from_secs(10)).unwrap();
        }

        /// Every committed record of `topic` (read_committed): key, value, timestamp, headers.
        pub(crate) fn read_committed(&self, topic: &str, expected: usize) -> Vec<Consumed> {
            let consumer: BaseConsumer = ClientConfig::new()
                .set("bootstrap.servers", self.bootstrap())
                .set("group.id", "verify")
                .set("isolation.level", "read_committed")
                .set("auto.offset.reset", "earliest")
                .set("log_level", "3")
                .create()
                .unwrap();
            consumer.subscribe(&[topic]).unwrap();
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            let mut out = Vec::new();
            while out.len() < expected && std::time::Instant::now() < deadline {
                if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
                    let headers = m
                        .headers()
                        .map(|h| {
                            h.iter()
                                .map(|h| {
                                    (
                                        h.key.to_string(),
                                        String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned(),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    out.push((
                        m.key().map(|k| String::from_utf8_lossy(k).into_owned()),
                        String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
                        m.timestamp().to_millis().unwrap_or(-1),
                        headers,
                    ));
                }
            }
            // Anything beyond what was expected would show here too.
            if let Some(Ok(m)) = consumer.poll(Duration::from_millis(500)) {
                panic!("unexpected extra record at offset {}", m.offset());
            }
            out
        }
    }

    #[test]
    fn json_with_key_and_metadata_to_exactly_once_topic() {
        let broker = TestBroker::start();
        broker.topic("orders", 2);
        broker.topic("copy", 1);
        broker.produce(
            "orders",
            &[
                (
                    0,
                    Some("{\"id\":1}"),
                    "{\"name\":\"ann\",\"amount\":10}",
                    1_767_225_600_000,
                    &[("h", "v1")],
                ),
                (
                    1,
                    Some("{\"id\":2}"),
                    "{\"name\":\"bob\",\"amount\":20}",
                    1_767_225_601_000,
                    &[],
                ),
                (
                    0,
                    None,
                    "{\"name\":\"cy\",\"amount\":30}",
                    1_767_225_602_000,
                    &[("h", "v3")],
                ),
            ],
        );
        let c = tables(
            "CREATE TABLE orders (k_id BIGINT, name STRING, amount INT, \
               ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', `partition` INT METADATA VIRTUAL, \
               `offset` BIGINT METADATA VIRTUAL, topic STRING METADATA VIRTUAL, \
               tt STRING METADATA FROM 'timestamp-type' VIRTUAL, headers MAP<STRING, BYTES> METADATA) \
             WITH ('connector' = 'kafka', 'topic' = 'orders', 'scan.startup.mode' = 'earliest-offset', \
               'scan.bounded.mode' = 'latest-offset', 'key.format' = 'json', 'key.fields' = 'k_id', \
               'key.fields-prefix' = 'k_', 'value.format' = 'json', 'value.fields-include' = 'EXCEPT_KEY');
             CREATE TABLE copy (k_id BIGINT, name STRING, amount INT, \
               ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', headers MAP<STRING, BYTES> METADATA) \
             WITH ('connector' = 'kafka', 'topic' = 'copy', 'key.format' = 'json', 'key.fields' = 'k_id', \
               'key.fields-prefix' = 'k_', 'value.format' = 'json', 'value.fields-include' = 'EXCEPT_KEY', \
               'sink.delivery-guarantee' = 'exactly-once', 'sink.transactional-id-prefix' = 'copy-job');",
        );
        let ctx = ConnectorContext {
            bootstrap: Some(broker.bootstrap()),
            ..ConnectorContext::default()
        };
        let env = StreamEnvironment::new();
        env.set_parallelism(2);
        let rows = connector::scan(&env, plan(table(&c, "orders")), &ctx).unwrap();
        let seen = rows.collect();
        // The sink's columns: the physical ones and the writable metadata.
        let out = rows.map(|r: Row| {
            vec![
                r[0].clone(),
                r[1].clone(),
                r[2].clone(),
                r[3].clone(),
                r[8].clone(),
            ]
        });
        connector::write(&out, &table(&c, "copy"), &ctx).unwrap();
        env.execute().unwrap();

        let mut seen = seen.values();
        seen.sort_by_key(|r| r[3].as_timestamp_micros());
        let bytes = |s: &str| Value::Bytes(s.as_bytes().to_vec());
        let header = |v: &str| Value::Map(vec![(Value::String("h".into()), bytes(v))]);
        assert_eq!(
            seen,
            vec![
                vec![
                    Value::Int(1),
                    Value::String("ann".into()),
                    Value::Int(10),
                    Value::Timestamp(1_767_225_600_000_000),
                    Value::Int(0),
                    Value::Int(0),
                    Value::String("orders".into()),
                    Value::String("CreateTime".into()),
                    header("v1"),
                ],
                vec![
                    Value::Int(2),
                    Value::String("bob".into()),
                    Value::Int(20),
                    Value::Timestamp(1_767_225_601_000_000),
                    Value::Int(1),
                    Value::Int(0),
                    Value::String("orders".into()),
                    Value::String("CreateTime".into()),
                    Value::Map(vec![]),
                ],
                // A null key: the key columns are NULL.
                vec![
                    Value::Null,
                    Value::String("cy".into()),
                    Value::Int(30),
                    Value::Timestamp(1_767_225_602_000_000),
                    Value::Int(0),
                    Value::Int(1),
                    Value::String("orders".into()),
                    Value::String("CreateTime".into()),
                    header("v3"),
                ],
            ]
        );

        let mut copied = broker.read_committed("copy", 3);
        copied.sort_by_key(|r| r.2);
        let h = |v: &str| vec![("h".to_string(), v.to_string())];
        assert_eq!(
            copied,
            vec![
                (
                    Some("{\"id\":1}".into()),
                    "{\"name\":\"ann\",\"amount\":10}".into(),
                    1_767_225_600_000,
                    h("v1")
                ),
                (
                    Some("{\"id\":2}".into()),
                    "{\"name\":\"bob\",\"amount\":20}".into(),
                    1_767_225_601_000,
                    vec![]
                ),
                (
                    Some("{\"id\":null}".into()),
                    "{\"name\":\"cy\",\"amount\":30}".into(),
                    1_767_225_602_000,
                    h("v3")
                ),
            ]
        );
    }

    #[test]
    fn malformed_json_fails_with_position_or_is_skipped_and_counted() {
        let broker = TestBroker::start();
        broker.topic("bad", 1);
        broker.produce(
            "bad",
            &[
                (0, None, "{\"a\":1}", 1000, &[]),
                (0, None, "{oops", 1001, &[]),
                (0, None, "{\"a\":3}", 1002, &[]),
            ],
        );
        let c = tables(
            "CREATE TABLE strict_json (a INT) WITH ('connector' = 'kafka', 'topic' = 'bad', 'format' = 'json', \
               'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');
             CREATE TABLE lenient (a INT) WITH ('connector' = 'kafka', 'topic' = 'bad', 'format' = 'json', \
               'json.ignore-parse-errors' = 'true', 'scan.startup.mode' = 'earliest-offset', \
               'scan.bounded.mode' = 'latest-offset');",
        );
        let ctx = ConnectorContext {
            bootstrap: Some(broker.bootstrap()),
            ..ConnectorContext::default()
        };
        let env = StreamEnvironment::new();
        let _ = connector::scan(&env, plan(table(&c, "strict_json")), &ctx)
            .unwrap()
            .collect();
        let err = env.execute().unwrap_err().to_string();
        assert!(err.contains("topic bad, partition 0, offset 1"), "{err}");
        assert!(err.contains("table strict_json"), "{err}");

        let env = StreamEnvironment::new();
        let got = connector::scan(&env, plan(table(&c, "lenient")), &ctx)
            .unwrap()
            .collect();
        env.execute().unwrap();
        assert_eq!(got.values(), vec![vec![Value::Int(1)], vec![Value::Int(3)]]);
        assert_eq!(ctx.stats.get("lenient.skipped-records"), 1);
    }

    #[test]
    fn watermarks_are_per_partition_and_trail_by_the_delay_as_in_flink_sql() {
        let broker = TestBroker::start();
        broker.topic("events", 2);
        let ev = |secs: u32| format!("{{\"ts\":\"1970-01-01 00:00:{secs:02}\"}}");
        let (a, b, c, d) = (ev(10), ev(20), ev(30), ev(5));
        broker.produce(
            "events",
            &[
                (0, None, &a, 1, &[]),
                (0, None, &b, 2, &[]),
                (0, None, &c, 3, &[]),
                (1, None, &d, 4, &[]),
            ],
        );
        let cat = tables(
            "CREATE TABLE events (ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND) \
             WITH ('connector' = 'kafka', 'topic' = 'events', 'format' = 'json', \
               'scan.startup.mode' = 'earliest-offset', 'scan.bounded.mode' = 'latest-offset');",
        );
        let ctx = ConnectorContext {
            bootstrap: Some(broker.bootstrap()),
            ..ConnectorContext::default()
        };
        let env = StreamEnvironment::new();
        env.set_batch_size(1);
        let mut p = plan(table(&cat, "events"));
        p.rowtime = Some(Rowtime {
            column: 0,
            delay_ms: 1000,
        });
        let seen = connector::scan(&env, p, &ctx)
            .unwrap()
            .process(
                |r: Row, cx: &mut spate_engine::ProcessContext<'_, (i64, i64, i64)>| {
                    let ts = r[0].as_timestamp_micros().unwrap() / 1000;
                    cx.collect((ts, cx.timestamp(), cx.current_watermark()));
                },
            )
            .collect();
        env.execute().unwrap();
        let seen = seen.values();
        assert_eq!(seen.len(), 4);
        for (ts, engine_ts, _) in &seen {
            assert_eq!(
                ts, engine_ts,
                "the record's engine timestamp is its rowtime in ms"
            );
        }
        // Partition 1's only record (5 s) holds the watermark at 5 s - 1 s = 4 s (Flink SQL's
        // watermark is the expression's value: no extra -1 ms) whatever partition 0 reaches.
        let max_wm = seen.iter().map(|(_, _, w)| *w).max().unwrap();
        assert!(
            max_wm <= 4000,
            "watermark {max_wm} ran ahead of partition 1: {seen:?}"
        );
        // The record that follows the partition 1 record sees exactly 4 s once both
        // partitions have records.
        if let Some(pos) = seen.iter().position(|(ts, _, _)| *ts == 5000)
            && seen[..pos].iter().filter(|(ts, _, _)| *ts >= 10_000).count() < 3
            && let Some(next) = seen.get(pos + 1)
        {
            assert_eq!(next.2, 4000, "{seen:?}");
        }
    }

    #[test]
    fn fixed_and_round_robin_partitioners() {
        let broker = TestBroker::start();
        broker.topic("fixed", 3);
        broker.topic("rr", 3);
        let c = tables(
            "CREATE TABLE g (id INT) WITH ('connector' = 'datagen', 'fields.id.kind' = 'sequence', \
               'fields.id.start' = '0', 'fields.id.end' = '11');
             CREATE TABLE fixed (id INT) WITH ('connector' = 'kafka', 'topic' = 'fixed', 'format' = 'json', \
               'sink.partitioner' = 'fixed');
             CREATE TABLE rr (id INT) WITH ('connector' = 'kafka', 'topic' = 'rr', 'format' = 'json', \
               'sink.partitioner' = 'round-robin');",
        );
        let ctx = ConnectorContext {
            bootstrap: Some(broker.bootstrap()),
            ..ConnectorContext::default()
        };
        let env = StreamEnvironment::new();
        env.set_parallelism(2);
        let rows = connector::scan(&env, plan(table(&c, "g")), &ctx).unwrap();
        connector::write(&rows, &table(&c, "fixed"), &ctx).unwrap();
        connector::write(&rows, &table(&c, "rr"), &ctx).unwrap();
        env.execute().unwrap();
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", broker.bootstrap())
            .set("log_level", "3")
            .create()
            .unwrap();
        let counts = |topic: &str| -> Vec<i64> {
            (0..3)
                .map(|p| {
                    let (lo, hi) = consumer
                        .fetch_watermarks(topic, p, Duration::from_secs(10))
                        .unwrap();
                    hi - lo
                })
                .collect()
        };
        // Flink's FlinkFixedPartitioner: sink subtask i writes partition i % 3 (6 rows each).
        assert_eq!(counts("fixed"), vec![6, 6, 0]);
        // Round robin over the 3 partitions from each of the 2 subtasks.
        assert_eq!(counts("rr"), vec![4, 4, 4]);
    }
}

/// Flink's generator makes a random TIMESTAMP "now" (minus up to `max-past`) when it makes the
/// row, so a watermark over such a column advances with the clock.
#[test]
fn datagen_random_timestamps_follow_the_clock_row_by_row() {
    let c = tables(
        "CREATE TABLE g (ts TIMESTAMP(3)) WITH ('connector' = 'datagen', 'number-of-rows' = '10', \
           'rows-per-second' = '50');
         CREATE TABLE p (ts TIMESTAMP(3)) WITH ('connector' = 'print');",
    );
    let (ctx, target) = print_ctx();
    let env = StreamEnvironment::new();
    let rows = connector::scan(&env, plan(table(&c, "g")), &ctx).unwrap();
    connector::write(&rows, &table(&c, "p"), &ctx).unwrap();
    env.execute().unwrap();
    let out = target.contents();
    // `+I[2026-11-22T20:09:54.748]`: ISO text sorts as time.
    let times: Vec<&str> = out
        .lines()
        .map(|l| l.strip_prefix("+I[").unwrap().strip_suffix(']').unwrap())
        .collect();
    assert_eq!(times.len(), 10, "{out}");
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{out}");
    // 10 rows at 50 per second take about 180 ms: the first and last differ.
    assert_ne!(times[0], times[9], "every row got the same time:\n{out}");
}
