//! SQL mixed with the DataStream API in one engine job ([`StreamTableEnvironment`]): a typed
//! stream becomes an event-time table, a SQL window aggregate over it becomes a stream, and an
//! engine event-time window goes on from the query's rows (which carry their `window_time` as
//! the record timestamp). Both outputs are checked against counts computed directly from the
//! input.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use spate_engine::StreamEnvironment;
use spate_engine::window::WindowAssigner;
use spate_sql::stream_table::{StreamSchema, StreamTableEnvironment};
use spate_sql::value::Value;

/// Clicks `(user, time in ms)` over ~100 s, out of order by up to 400 ms (under the 1 s
/// watermark delay, so none is late).
fn clicks() -> Vec<(String, i64)> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    (0..3000)
        .map(|i| {
            let user = format!("u{}", next() % 5);
            let jitter = (next() % 400) as i64;
            (user, 1_700_000_000_000 + i * 33 - jitter)
        })
        .collect()
}

#[test]
fn a_typed_stream_is_queried_with_sql_and_the_result_goes_on_as_a_stream() {
    let env = StreamEnvironment::new();
    env.set_parallelism(2);
    let mut tables = StreamTableEnvironment::new(&env);
    // DataStream before SQL: bots (u0) are dropped in Rust.
    let humans = env
        .from_collection(clicks())
        .filter(|(user, _): &(String, i64)| user != "u0");
    tables
        .create_temporary_view(
            "clicks",
            &humans,
            StreamSchema::new()
                .column("user_name", "STRING")
                .column("ts", "TIMESTAMP(3)")
                .watermark("ts", "ts - INTERVAL '1' SECOND"),
            |(user, ms): (String, i64)| vec![Value::String(user), Value::Timestamp(ms * 1000)],
        )
        .unwrap();
    let query = "SELECT user_name, window_end, COUNT(*) AS n \
                 FROM TABLE(TUMBLE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '10' SECOND)) \
                 GROUP BY user_name, window_start, window_end";
    let schema = tables.query_schema(query).unwrap();
    let names: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["user_name", "window_end", "n"]);
    let per_user: spate_engine::DataStream<(String, i64, i64)> =
        tables.sql_query(query).unwrap().map(|row| match row.as_slice() {
            [Value::String(u), Value::Timestamp(end), Value::Int(n)] => (u.clone(), end / 1000, *n),
            other => panic!("unexpected row {other:?}"),
        });
    let sql_rows = per_user.collect();
    // DataStream after SQL: 20 s event-time windows over the 10 s counts.
    let per_20s = per_user
        .map(|(u, _, n)| (u, n))
        .key_by(|(u, _): &(String, i64)| u.clone())
        .window(WindowAssigner::tumbling(Duration::from_secs(20)))
        .reduce(|(u, a), (_, b)| (u, a + b))
        .collect();
    env.execute().unwrap();

    let mut expected_10s: BTreeMap<(String, i64), i64> = BTreeMap::new();
    let mut expected_20s: BTreeMap<(String, i64), i64> = BTreeMap::new();
    for (user, ms) in clicks().into_iter().filter(|(u, _)| u != "u0") {
        *expected_10s
            .entry((user.clone(), ms.div_euclid(10_000) * 10_000 + 10_000))
            .or_default() += 1;
        *expected_20s
            .entry((user, ms.div_euclid(20_000) * 20_000 + 20_000))
            .or_default() += 1;
    }
    let got_10s: BTreeMap<(String, i64), i64> = sql_rows
        .values()
        .into_iter()
        .map(|(u, end, n)| ((u, end), n))
        .collect();
    assert_eq!(
        got_10s.len(),
        sql_rows.values().len(),
        "a window was emitted twice"
    );
    assert_eq!(got_10s, expected_10s);
    let got_20s: BTreeMap<(String, i64), i64> = per_20s
        .values()
        .into_iter()
        .map(|r| ((r.key, r.window.end), r.value.1))
        .collect();
    assert_eq!(got_20s, expected_20s);
}

#[test]
fn stream_tables_mix_with_ddl_tables_and_bad_input_is_an_error() {
    let env = StreamEnvironment::new();
    let mut tables = StreamTableEnvironment::new(&env);
    let ids = env.from_collection(vec![1_i64, 2, 3]);
    let schema = || StreamSchema::new().column("id", "BIGINT");
    tables
        .create_temporary_view("ids", &ids, schema(), |v: i64| vec![Value::Int(v)])
        .unwrap();
    // The name is taken.
    let err = tables
        .create_temporary_view("ids", &ids, schema(), |v: i64| vec![Value::Int(v)])
        .unwrap_err();
    assert!(err.to_string().contains("ids"), "{err}");
    // A bad type is the parser's error; a watermark on a non-time column the catalog's.
    let bad_type = StreamSchema::new().column("id", "BIGGINT");
    assert!(
        tables
            .create_temporary_view("t2", &ids, bad_type, |v: i64| vec![Value::Int(v)])
            .is_err()
    );
    let bad_rowtime = StreamSchema::new().column("id", "BIGINT").watermark("id", "id");
    let err = tables
        .create_temporary_view("t3", &ids, bad_rowtime, |v: i64| vec![Value::Int(v)])
        .unwrap_err();
    assert!(
        err.to_string().contains("rowtime column must be TIMESTAMP"),
        "{err}"
    );
    // DDL tables can be joined to stream tables... here a bounded datagen sequence.
    tables
        .execute_sql(
            "CREATE TABLE seq (id BIGINT) WITH ('connector' = 'datagen', \
             'fields.id.kind' = 'sequence', 'fields.id.start' = '2', 'fields.id.end' = '5')",
        )
        .unwrap();
    // DDL cannot name the stream connector.
    assert!(
        tables
            .execute_sql("CREATE TABLE x (id BIGINT) WITH ('connector' = 'spate-datastream')")
            .is_err()
    );
    assert!(tables.execute_sql("SELECT 1").is_err());
    let both = tables
        .sql_query("SELECT id FROM ids UNION ALL SELECT id * 100 FROM seq")
        .unwrap()
        .collect();
    env.execute().unwrap();
    let mut got: Vec<Vec<Value>> = both.values();
    got.sort_by_key(|r| match r[0] {
        Value::Int(v) => v,
        _ => i64::MIN,
    });
    let want: Vec<Vec<Value>> = [1, 2, 3, 200, 300, 400, 500]
        .into_iter()
        .map(|v| vec![Value::Int(v)])
        .collect();
    assert_eq!(got, want);
}

/// `INSERT INTO` through the table environment: the statement's sink is part of the same job as
/// the DataStream operators around it, and writes when the environment runs.
#[test]
fn insert_into_a_ddl_sink_runs_in_the_streams_job() {
    let out = tempfile::tempdir().unwrap();
    let env = StreamEnvironment::new();
    let mut tables = StreamTableEnvironment::new(&env);
    let orders = env.from_collection(vec![(1_i64, "apple"), (2, "pear"), (3, "apple"), (4, "fig")]);
    tables
        .create_temporary_view(
            "orders",
            &orders,
            StreamSchema::new()
                .column("id", "BIGINT")
                .column("item", "STRING"),
            |(id, item): (i64, &str)| vec![Value::Int(id), Value::String(item.to_string())],
        )
        .unwrap();
    tables
        .execute_sql(&format!(
            "CREATE TABLE apples (id BIGINT, item STRING) WITH ('connector' = 'filesystem', \
             'path' = '{}', 'format' = 'csv');
             INSERT INTO apples SELECT id * 10, item FROM orders WHERE item = 'apple';",
            out.path().display()
        ))
        .unwrap();
    // The stream goes on beside the INSERT, in the same job.
    let all = orders.map(|(id, _)| id).collect();
    // Not a table: an INSERT into a view is refused with the view's name.
    tables
        .execute_sql("CREATE VIEW v AS SELECT id FROM orders")
        .unwrap();
    let err = tables
        .execute_sql("INSERT INTO v SELECT id FROM orders")
        .unwrap_err();
    assert!(err.to_string().contains("view"), "{err}");
    env.execute().unwrap();
    let mut ids = all.values();
    ids.sort();
    assert_eq!(ids, [1, 2, 3, 4]);
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(out.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with('.') {
            continue;
        }
        lines.extend(std::fs::read_to_string(&path).unwrap().lines().map(String::from));
    }
    lines.sort();
    assert_eq!(lines, ["10,apple", "30,apple"]);
}
