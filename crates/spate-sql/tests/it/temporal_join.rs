//! Temporal joins (`JOIN v FOR SYSTEM_TIME AS OF l.t`) that Flink 2.3 refuses, with Flink's own
//! messages (each one what Flink 2.3's planner said for the same DDL and query), and what the
//! accepted ones plan to. Their results are goldens in `tests/flink_changelog/temporal_join_*`.

use spate_sql::{Session, SessionOptions, StatementResult};

/// Orders with a rowtime, a plain timestamp and a processing time; versioned tables with and
/// without a primary key or a watermark, and views that project or filter them.
const DDL: &str = "
CREATE TABLE orders (id INT, cur STRING, amount INT, ts TIMESTAMP(3), ts2 TIMESTAMP(3),
  pt AS PROCTIME(), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'filesystem', 'path' = '/nonexistent/o.json', 'format' = 'json');
CREATE TABLE orders_ltz (id INT, cur STRING, ts TIMESTAMP_LTZ(3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'filesystem', 'path' = '/nonexistent/o.json', 'format' = 'json');
CREATE TABLE orders_nowm (id INT, cur STRING, ts TIMESTAMP(3))
  WITH ('connector' = 'filesystem', 'path' = '/nonexistent/o.json', 'format' = 'json');
CREATE TABLE rates (cur STRING, rate DOUBLE, ts TIMESTAMP(3), PRIMARY KEY (cur) NOT ENFORCED,
  WATERMARK FOR ts AS ts)
  WITH ('connector' = 'filesystem', 'path' = '/nonexistent/r.json', 'format' = 'debezium-json');
CREATE TABLE rates_nowm (cur STRING, rate DOUBLE, ts TIMESTAMP(3), PRIMARY KEY (cur) NOT ENFORCED)
  WITH ('connector' = 'filesystem', 'path' = '/nonexistent/r.json', 'format' = 'debezium-json');
CREATE TABLE rates_nopk (cur STRING, rate DOUBLE, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
  WITH ('connector' = 'filesystem', 'path' = '/nonexistent/r.json', 'format' = 'debezium-json');
CREATE TABLE rates_ins (cur STRING, rate DOUBLE, ts TIMESTAMP(3), PRIMARY KEY (cur) NOT ENFORCED,
  WATERMARK FOR ts AS ts)
  WITH ('connector' = 'filesystem', 'path' = '/nonexistent/r.json', 'format' = 'json');
CREATE TABLE rates2 (cur STRING, src STRING, rate DOUBLE, ts TIMESTAMP(3),
  PRIMARY KEY (cur, src) NOT ENFORCED, WATERMARK FOR ts AS ts)
  WITH ('connector' = 'filesystem', 'path' = '/nonexistent/r.json', 'format' = 'debezium-json');
CREATE VIEW rates_f AS SELECT * FROM rates WHERE rate > 1;
CREATE VIEW rates_insf AS SELECT * FROM rates_ins WHERE rate > 1;
CREATE VIEW rates_p AS SELECT cur, rate * 2 AS r2, ts FROM rates;
";

fn plan(query: &str) -> Result<Vec<String>, String> {
    let mut session = Session::new(SessionOptions::default());
    let mut texts = Vec::new();
    session
        .execute_script(&format!("{DDL}{query};"), |_, result| {
            if let StatementResult::Text(t) = result {
                texts.push(t.clone());
            }
        })
        .map(|_| texts)
        .map_err(|e| e.message().to_string())
}

/// Each refused join with Flink 2.3's message (its `ValidationException`'s or
/// `TableException`'s first sentence; Flink appends the logical plan to the primary key one).
#[test]
fn refused_temporal_joins_give_flinks_messages() {
    let no_pk =
        "Temporal Table Join requires primary key in versioned table, but no primary key can be found.";
    let not_time = "Temporal table join currently only supports 'FOR SYSTEM_TIME AS OF' left table's time attribute field";
    let no_rowtime = "Event-Time Temporal Table Join requires both primary key and row time attribute in versioned table, but no row time attribute can be found.";
    let no_key = "Currently the join key in Temporal Table Join can not be empty.";
    let proctime = "Processing-time temporal join is not supported yet.";
    let filter = "Filter is not allowed for right changelog input of event time temporal join, it will corrupt the versioning of data. Please consider removing the filter before joining.";
    let join = |right: &str, as_of: &str, on: &str| {
        format!("SELECT o.id FROM orders o JOIN {right} FOR SYSTEM_TIME AS OF {as_of} AS r ON {on}")
    };
    let cases: Vec<(String, String)> = vec![
        (join("rates", "o.ts", "o.amount = r.rate"), no_pk.into()),
        (join("rates_nopk", "o.ts", "o.cur = r.cur"), no_pk.into()),
        // Every column of the primary key must be joined on.
        (join("rates2", "o.ts", "o.cur = r.cur"), no_pk.into()),
        (join("rates_f", "o.ts", "o.amount = r.rate"), no_pk.into()),
        (join("rates_nowm", "o.ts", "o.cur = r.cur"), no_rowtime.into()),
        // The missing rowtime is found before the missing key.
        (join("rates_nowm", "o.ts", "o.amount = r.rate"), no_rowtime.into()),
        (join("rates", "o.ts2", "o.cur = r.cur"), not_time.into()),
        (
            join("rates", "o.ts - INTERVAL '1' SECOND", "o.cur = r.cur"),
            format!("{not_time}'"),
        ),
        (
            join("rates", "r.ts", "o.cur = r.cur"),
            "Temporal Table Join requires time attribute in the left table, but no time attribute found.".into(),
        ),
        (
            "SELECT o.id FROM orders_nowm o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur".into(),
            not_time.into(),
        ),
        (join("rates", "o.ts", "o.cur = r.cur OR o.amount > r.rate"), no_key.into()),
        (join("rates", "o.ts", "TRUE"), no_key.into()),
        (
            "SELECT o.id FROM orders o CROSS JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r".into(),
            no_key.into(),
        ),
        (
            "SELECT o.id FROM orders o, rates FOR SYSTEM_TIME AS OF o.ts AS r WHERE o.cur = r.cur".into(),
            no_key.into(),
        ),
        // Processing time: refused against any table that is not a lookup table, after the
        // key checks and without asking for a watermark.
        (join("rates", "o.pt", "o.cur = r.cur"), proctime.into()),
        (join("rates_ins", "o.pt", "o.cur = r.cur"), proctime.into()),
        (join("rates_nowm", "o.pt", "o.cur = r.cur"), proctime.into()),
        (join("rates_nopk", "o.pt", "o.cur = r.cur"), no_pk.into()),
        (join("rates", "o.pt", "o.amount = r.rate"), no_pk.into()),
        (join("rates", "o.pt", "o.cur = r.cur OR o.id = 1"), no_key.into()),
        (join("rates_f", "o.ts", "o.cur = r.cur"), filter.into()),
        (join("rates_insf", "o.ts", "o.cur = r.cur"), filter.into()),
        (
            "SELECT o.id FROM orders o RIGHT JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur".into(),
            "Unknown join type RIGHT".into(),
        ),
        (
            "SELECT o.id FROM orders o FULL JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur".into(),
            "Unknown join type FULL".into(),
        ),
        (
            "SELECT o.id FROM orders_ltz o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur".into(),
            "Event-Time Temporal Table Join requires same rowtime type in left table and versioned table, but the rowtime types are TIMESTAMP_LTZ(3) *ROWTIME* and TIMESTAMP(3) *ROWTIME*.".into(),
        ),
    ];
    for (query, want) in cases {
        let got = plan(&query).expect_err(&query);
        assert_eq!(got, want, "{query}");
    }
    // A constant time is time travel, which Flink's in-memory catalog cannot do.
    let travel = plan("SELECT * FROM rates FOR SYSTEM_TIME AS OF TIMESTAMP '2024-01-01 00:00:00'")
        .expect_err("time travel");
    assert!(travel.contains("on the right table"), "{travel}");
    let travel =
        plan(&join("rates", "TIMESTAMP '2024-01-01 00:00:00'", "o.cur = r.cur")).expect_err("time travel");
    assert!(
        travel.contains("getTable(ObjectPath, long) is not implemented"),
        "{travel}"
    );
}

/// Accepted joins: insert-only over an insert-only left input whatever the versioned side is,
/// the versioned side asked for new images only (Flink's `DropUpdateBefore`); a residual
/// condition and a projecting view are fine; the left rowtime stays a time attribute (a window
/// can follow), the versioned side's does not.
#[test]
fn accepted_temporal_joins_plan() {
    for query in [
        "SELECT o.id, r.rate FROM orders o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur",
        "SELECT o.id, r.rate FROM orders o LEFT JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur AND o.amount > r.rate",
        "SELECT o.id, r.r2 FROM orders o JOIN rates_p FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur",
        "SELECT o.id, r.rate FROM orders o JOIN rates_ins FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur",
        "SELECT o.id, r.rate FROM orders o JOIN rates2 FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur AND o.cur = r.src",
        "SELECT o.id, r.rate FROM orders o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON CAST(o.id AS STRING) = r.cur",
    ] {
        let texts =
            plan(&format!("EXPLAIN CHANGELOG_MODE {query}")).unwrap_or_else(|e| panic!("{query}: {e}"));
        let text = texts.join("\n");
        let join = text
            .lines()
            .find(|l| l.contains("TemporalJoin("))
            .unwrap_or_else(|| panic!("{query}: no TemporalJoin in\n{text}"));
        assert!(join.contains("changelogMode=[I]"), "{query}: {join}");
    }
    let texts = plan(
        "EXPLAIN CHANGELOG_MODE SELECT o.id FROM orders o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur",
    )
    .unwrap_or_default();
    assert!(texts.join("\n").contains("changelogMode=[I,UA,D]"), "{texts:?}");
    let window = "SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE j, DESCRIPTOR(ts), INTERVAL '5' SECOND)) GROUP BY window_start, window_end";
    plan(&format!(
        "CREATE VIEW j AS SELECT o.id, o.ts, r.rate FROM orders o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur;\nEXPLAIN {window}"
    ))
    .unwrap_or_else(|e| panic!("a window over the probe side's rowtime: {e}"));
    let err = plan(&format!(
        "CREATE VIEW j AS SELECT o.id, r.ts, r.rate FROM orders o JOIN rates FOR SYSTEM_TIME AS OF o.ts AS r ON o.cur = r.cur;\nEXPLAIN {window}"
    ))
    .expect_err("the versioned side's rowtime is no time attribute after the join");
    assert!(err.contains("time attribute"), "{err}");
}
