//! The session end to end on inputs that need no connector (`VALUES`).

use spate_sql::value::{RowKind, Value};
use spate_sql::{Session, SessionOptions, StatementResult};

fn rows(sql: &str) -> Vec<Vec<Value>> {
    let mut session = Session::new(SessionOptions::default());
    let mut out = None;
    session
        .execute_script(sql, |_, r| {
            if let StatementResult::Rows { rows, .. } = r {
                out = Some(rows);
            }
        })
        .unwrap_or_else(|e| panic!("{}", e.render(sql)));
    out.expect("the script has a query")
}

#[test]
fn values_filter_and_project() {
    let got = rows("SELECT a + 1 AS b, a * 2 FROM (VALUES (1), (2), (3)) AS t(a) WHERE a >= 2;");
    assert_eq!(
        got,
        vec![
            vec![Value::Int(3), Value::Int(4)],
            vec![Value::Int(4), Value::Int(6)]
        ]
    );
}

#[test]
fn union_all_conforms_types() {
    let mut got = rows(
        "SELECT a FROM (VALUES (1)) AS t(a) UNION ALL SELECT b FROM (VALUES (CAST(2 AS BIGINT))) AS u(b);",
    );
    got.sort_by_key(|r| r[0].as_i64());
    assert_eq!(got, vec![vec![Value::Int(1)], vec![Value::Int(2)]]);
}

#[test]
fn unknown_column_suggests_the_nearest() {
    let sql = "SELECT amount FROM (VALUES (1)) AS t(amount_usd);";
    let mut session = Session::new(SessionOptions::default());
    let err = session.execute_script(sql, |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("unknown column 'amount'"), "{err}");
    assert!(err.position().is_some(), "{err}");
}

/// Flink 2.3 accepts exactly these forms (one job per value, 2026-11-23); a refused value is an
/// error naming the setting, with Flink's explanation.
#[test]
fn session_time_zones_are_checked_as_flink_checks_them() {
    let mut session = Session::new(SessionOptions::default());
    for bad in [
        "UTC+8",
        "+08:00",
        "Z",
        "PST",
        "Europe/Nowhere",
        "europe/berlin",
        "",
    ] {
        let sql = format!("SET 'table.local-time-zone' = '{bad}';");
        let err = session.execute_script(&sql, |_, _| {}).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(&format!("'table.local-time-zone' = '{bad}'")),
            "{text}"
        );
        assert!(text.contains("Invalid time zone"), "{text}");
    }
    for good in [
        "UTC",
        "GMT",
        "GMT+08:00",
        "GMT-8",
        "Asia/Kolkata",
        "America/Los_Angeles",
        "Etc/GMT-8",
    ] {
        let sql = format!("SET 'table.local-time-zone' = '{good}';");
        session
            .execute_script(&sql, |_, _| {})
            .unwrap_or_else(|e| panic!("{good}: {e}"));
    }
}

/// The clock functions in a session zone (Flink, America/Los_Angeles: CURRENT_TIMESTAMP and
/// NOW() show the local wall clock, LOCALTIMESTAMP equals it, CURRENT_DATE and CURRENT_TIME are
/// its parts). Not golden (the clock moves): each value must lie between readings of the clock
/// taken before and after, shifted by the zone's fixed offset.
#[test]
fn clock_functions_read_the_session_zone() {
    use spate_sql::temporal::{MICROS_PER_DAY, parse_timestamp};
    let now_micros = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64)
    };
    let offset = -8 * 3_600_000_000i64;
    let before = now_micros() + offset;
    let got = rows(
        "SET 'table.local-time-zone' = 'GMT-08:00';
         SELECT CAST(CURRENT_TIMESTAMP AS STRING), CAST(NOW() AS STRING), CAST(LOCALTIMESTAMP AS STRING),
                CAST(CURRENT_DATE AS STRING), CAST(CURRENT_TIME AS STRING), UNIX_TIMESTAMP();",
    );
    let after = now_micros() + offset;
    let text = |i: usize| got[0][i].as_str().unwrap_or_default().to_string();
    let within = |t: i64, slack: i64| t >= before - slack && t <= after;
    for i in 0..3 {
        let t = parse_timestamp(&text(i)).unwrap_or_default();
        assert!(
            within(t, 1000),
            "column {i}: {} not in the local clock's range",
            text(i)
        );
    }
    let date = parse_timestamp(&text(3)).unwrap_or_default();
    assert!(within(date, MICROS_PER_DAY), "CURRENT_DATE {}", text(3));
    let time = parse_timestamp(&format!("1970-01-01 {}", text(4))).unwrap_or_default();
    let of_day = |t: i64| t.rem_euclid(MICROS_PER_DAY);
    // The time of day has whole seconds; near midnight the range wraps.
    let (lo, hi) = (of_day(before) - 1_000_000, of_day(after));
    assert!(
        (lo <= time && time <= hi) || hi < lo,
        "CURRENT_TIME {} not in {lo}..{hi}",
        text(4)
    );
    // UNIX_TIMESTAMP() is zone-free epoch seconds.
    let epoch = got[0][5].as_i64().unwrap_or_default() * 1_000_000;
    assert!(within(epoch + offset, 1_000_000), "UNIX_TIMESTAMP() {epoch}");
}

/// Casts and functions in a zone with daylight saving time, at the fall-back overlap and the
/// spring-forward gap (each value checked on Flink 2.3 in America/Los_Angeles).
#[test]
fn casts_and_functions_in_a_dst_zone() {
    let got = rows(
        "SET 'table.local-time-zone' = 'America/Los_Angeles';
         SELECT
           CAST(CAST(TIMESTAMP '2026-03-08 02:30:00' AS TIMESTAMP_LTZ(3)) AS STRING),
           CAST(TIMESTAMP '2026-11-01 01:30:00' AS TIMESTAMP_LTZ(3)) = TO_TIMESTAMP_LTZ(1793521800000, 3),
           CAST('2026-11-01 01:30:00' AS TIMESTAMP_LTZ(3)) = TO_TIMESTAMP_LTZ(1793521800000, 3),
           CAST(TO_TIMESTAMP_LTZ(1793520062000, 3) AS STRING),
           CAST(CAST(TO_TIMESTAMP_LTZ(1793525400000, 3) AS TIMESTAMP(3)) AS STRING),
           DATE_FORMAT(TO_TIMESTAMP_LTZ(1793520062000, 3), 'yyyy-MM-dd HH:mm:ss'),
           FROM_UNIXTIME(1793525400, 'yyyy-MM-dd HH:mm:ss z Z'),
           UNIX_TIMESTAMP('2026-11-01 01:30:00'),
           UNIX_TIMESTAMP('2026-03-08 02:30:00'),
           UNIX_TIMESTAMP('2026-11-01', 'yyyy-MM-dd'),
           CAST(TO_TIMESTAMP_LTZ('2026-11-01 01:30:00') AS STRING),
           CAST(TO_TIMESTAMP('2026-11-01 01:30:00') AS STRING),
           HOUR(TO_TIMESTAMP_LTZ(1793520062000, 3)),
           CAST(CAST(TO_TIMESTAMP_LTZ(1793520062000, 3) AS DATE) AS STRING),
           CAST(CAST(DATE '2026-11-01' AS TIMESTAMP_LTZ(3)) AS STRING),
           CAST(FLOOR(TO_TIMESTAMP_LTZ(1793520062000, 3) TO DAY) AS STRING),
           TIMESTAMPDIFF(HOUR, CAST(TIMESTAMP '2026-11-01 00:00:00' AS TIMESTAMP_LTZ(3)),
                         CAST(TIMESTAMP '2026-11-02 00:00:00' AS TIMESTAMP_LTZ(3))),
           CAST(TIMESTAMPADD(MONTH, 1, TO_TIMESTAMP_LTZ(1769839200000, 3)) AS STRING),
           CAST(TO_TIMESTAMP_LTZ(1769839200000, 3) + INTERVAL '1' MONTH AS STRING),
           EXTRACT(DAY FROM TO_TIMESTAMP_LTZ(1769839200000, 3)),
           CAST(CEIL(TO_TIMESTAMP_LTZ(1793523900000, 3) TO DAY) AS STRING),
           CAST(FLOOR(TO_TIMESTAMP_LTZ(1793523900000, 3) TO HOUR) AS STRING),
           DAYOFWEEK(TO_TIMESTAMP_LTZ(1769839200000, 3)),
           CAST(CAST(TIME '10:00:00' AS TIMESTAMP_LTZ(3)) AS STRING);",
    );
    let s = |v: &str| Value::String(v.into());
    assert_eq!(
        got[0],
        vec![
            s("2026-03-08 03:30:00.000"),
            Value::Boolean(true),
            Value::Boolean(true),
            s("2026-11-01 01:01:02.000"),
            s("2026-11-01 01:30:00.000"),
            s("2026-11-01 01:01:02"),
            s("2026-11-01 01:30:00 PST -0800"),
            Value::Int(1_793_525_400),
            Value::Int(1_772_965_800),
            Value::Int(1_793_516_400),
            s("2026-10-31 18:30:00.000"),
            s("2026-11-01 01:30:00.000"),
            Value::Int(1),
            s("2026-11-01"),
            s("2026-11-01 00:00:00.000"),
            s("2026-11-01 00:00:00.000"),
            Value::Int(25),
            // Month arithmetic on the instant (UTC), EXTRACT and DAYOFWEEK on the wall clock,
            // CEIL/FLOOR back with the original instant's offset (Flink run, same zone).
            s("2026-02-27 22:00:00.000"),
            s("2026-02-27 22:00:00.000"),
            Value::Int(30),
            s("2026-11-02 00:00:00.000"),
            s("2026-11-01 01:00:00.000"),
            Value::Int(6),
            s("1970-01-01 10:00:00.000"),
        ]
    );
}

/// The Nexmark project's Kafka table layout: a computed column and views read fields of ROW
/// columns (`bid.price`, `n.bid.auction`), resolved as in Calcite — a table qualifier first,
/// else a column's field. The rows must equal the generator's flat bid table.
#[test]
fn row_fields_in_computed_columns_and_views() {
    let nested = rows(
        "CREATE TABLE n (event_type INT, bid ROW<auction BIGINT, price BIGINT, `dateTime` TIMESTAMP(3)>, \
           t AS CASE WHEN event_type = 2 THEN bid.`dateTime` END) \
         WITH ('connector' = 'nexmark', 'events.num' = '50');
         CREATE VIEW b AS SELECT n.bid.auction, bid.price AS price, t FROM n WHERE event_type = 2;
         SELECT auction, price, t FROM b;",
    );
    let flat = rows(
        "CREATE TABLE bid (auction BIGINT, bidder BIGINT, price BIGINT, `dateTime` TIMESTAMP(3)) \
         WITH ('connector' = 'nexmark', 'events.num' = '50');
         SELECT auction, price, `dateTime` FROM bid;",
    );
    assert_eq!(nested.len(), 46, "46 bids in every 50 events");
    assert_eq!(nested, flat);
    assert!(nested.iter().all(|r| matches!(r[2], Value::Timestamp(_))));

    let mut session = Session::new(SessionOptions::default());
    let sql = "CREATE TABLE n (bid ROW<price BIGINT>) WITH ('connector' = 'nexmark', 'events.num' = '5');
               SELECT bid.prize FROM n;";
    let err = session.execute_script(sql, |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("no field 'prize'"), "{err}");
    assert!(err.position().is_some(), "{err}");
}

/// Nexmark q12's shape (bids per bidder in processing-time windows over `PROCTIME()`), with
/// 100 ms windows: every bid is counted once, and no window of a bidder is reported twice
/// (a record in a window's last millisecond must not reopen it after it fired).
#[test]
fn processing_time_windows_count_every_row_once() {
    let out = rows(
        "CREATE TABLE bid (auction BIGINT, bidder BIGINT) WITH ('connector' = 'datagen',
           'rows-per-second' = '3000', 'number-of-rows' = '3000',
           'fields.auction.kind' = 'sequence', 'fields.auction.start' = '1', 'fields.auction.end' = '3000',
           'fields.bidder.min' = '1', 'fields.bidder.max' = '3');
         SELECT B.bidder, count(*) AS bid_count,
                TUMBLE_START(B.p_time, INTERVAL '0.1' SECOND) AS starttime
         FROM (SELECT *, PROCTIME() AS p_time FROM bid) B
         GROUP BY B.bidder, TUMBLE(B.p_time, INTERVAL '0.1' SECOND);",
    );
    let total: i64 = out
        .iter()
        .map(|r| match r[1] {
            Value::Int(n) => n,
            ref v => panic!("count is {v:?}"),
        })
        .sum();
    // Flink SQL drops the windows still open when the bounded input ends (Flink 2.3,
    // tests/flink/proctime_bounded), so the rows of the last window of each bidder are not
    // counted; no row is counted twice.
    assert!(total > 0 && total < 3000, "{total} rows counted");
    let mut windows: Vec<String> = out.iter().map(|r| format!("{:?} {:?}", r[0], r[2])).collect();
    let n = windows.len();
    windows.sort();
    windows.dedup();
    assert_eq!(windows.len(), n, "a bidder's window was reported twice: {out:?}");
    assert!(n >= 3, "the rows spanned {n} windows");
}

/// Processing-time windows over `PROCTIME()` (a TIMESTAMP_LTZ) are cut in the session zone too
/// (Flink): a one-day window starts at the zone's midnight, and its bounds are local times.
#[test]
fn processing_time_day_windows_start_at_local_midnight() {
    use spate_sql::temporal::MICROS_PER_DAY;
    let now_micros = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as i64)
    };
    let offset = -8 * 3_600_000_000i64;
    let local_midnight = |utc: i64| (utc + offset).div_euclid(MICROS_PER_DAY) * MICROS_PER_DAY;
    let before = local_midnight(now_micros());
    let out = rows(
        "SET 'table.local-time-zone' = 'GMT-08:00';
         CREATE TABLE bid (bidder BIGINT, p AS PROCTIME())
           WITH ('connector' = 'datagen', 'number-of-rows' = '10');
         SELECT window_start, window_end, COUNT(*)
         FROM TABLE(TUMBLE(TABLE bid, DESCRIPTOR(p), INTERVAL '1' DAY))
         GROUP BY window_start, window_end;",
    );
    let after = local_midnight(now_micros());
    // The day's window is still open when the bounded input ends: Flink SQL drops it
    // (tests/flink/proctime_bounded), so a bounded run writes no window; the bounds are
    // checked for any window that does close (a run across local midnight).
    let total: i64 = out.iter().filter_map(|r| r[2].as_i64()).sum();
    assert!(total <= 10, "{out:?}");
    for r in &out {
        let (Value::Timestamp(start), Value::Timestamp(end)) = (&r[0], &r[1]) else {
            panic!("window bounds {r:?}");
        };
        assert!(
            *start == before || *start == after,
            "window_start {start} is no local midnight ({before})"
        );
        assert_eq!(end - start, MICROS_PER_DAY);
    }
}

/// `TO_TIMESTAMP_LTZ(text, pattern, zone)` reads the text in `zone`, which may be any id
/// `java.time.ZoneId` takes (Flink 2.3, UTC session); a constant zone Java does not know is a
/// validation error.
#[test]
fn to_timestamp_ltz_with_a_zone_argument() {
    let got = rows(
        "SELECT
           CAST(TO_TIMESTAMP_LTZ('2026-03-08 02:30:00', 'yyyy-MM-dd HH:mm:ss', 'America/Los_Angeles') AS STRING),
           CAST(TO_TIMESTAMP_LTZ('2026-11-01 01:30:00', 'yyyy-MM-dd HH:mm:ss', 'America/Los_Angeles') AS STRING),
           CAST(TO_TIMESTAMP_LTZ('2026-11-01 01:30:00', 'yyyy-MM-dd HH:mm:ss', 'GMT+08:00') AS STRING),
           CAST(TO_TIMESTAMP_LTZ('2026-11-01 01:30:00', 'yyyy-MM-dd HH:mm:ss', '+08:00') AS STRING),
           CAST(TO_TIMESTAMP_LTZ('2026-11-01 01:30:00', 'yyyy-MM-dd HH:mm:ss', 'UTC+8') AS STRING),
           CAST(TO_TIMESTAMP_LTZ('nope', 'yyyy-MM-dd HH:mm:ss', 'UTC') AS STRING);",
    );
    let s = |v: &str| Value::String(v.into());
    assert_eq!(
        got[0],
        vec![
            s("2026-03-08 10:30:00.000"),
            s("2026-11-01 08:30:00.000"),
            s("2026-10-31 17:30:00.000"),
            s("2026-10-31 17:30:00.000"),
            s("2026-10-31 17:30:00.000"),
            Value::Null,
        ]
    );
    let mut session = Session::new(SessionOptions::default());
    let sql = "SELECT TO_TIMESTAMP_LTZ('2026-11-01 01:30:00', 'yyyy-MM-dd HH:mm:ss', 'Foo/Bar');";
    let err = session.execute_script(sql, |_, _| {}).unwrap_err();
    assert!(err.to_string().contains("'Foo/Bar' is no time zone"), "{err}");
}

/// An aggregate over the rows of hourly windows cut in America/Los_Angeles, grouped by
/// `window_start, window_end` only (no `window_time` to tell the bounds are local): it must
/// still fire at the windows' instants, losing no row (Flink golden case `timezone`'s
/// `hourly_total` has the same totals with `window_time` kept).
#[test]
fn aggregates_over_local_windows_fire_at_their_instants() {
    let input =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/flink/timezone/input/events.json");
    let sql = format!(
        "SET 'table.local-time-zone' = 'America/Los_Angeles';
         SET 'pipeline.auto-watermark-interval' = '0';
         CREATE TABLE events (id INT, k STRING, epoch_ms BIGINT, local_ts TIMESTAMP(3), s STRING,
           ts AS TO_TIMESTAMP_LTZ(epoch_ms, 3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
         SELECT CAST(window_start AS STRING), CAST(window_end AS STRING), SUM(n)
         FROM (SELECT k, window_start, window_end, COUNT(*) AS n
               FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' HOUR))
               GROUP BY k, window_start, window_end)
         GROUP BY window_start, window_end;",
        input.display()
    );
    let mut got: Vec<String> = rows(&sql)
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r[0].as_str().unwrap_or("?"),
                r[1].as_str().unwrap_or("?"),
                r[2].as_i64().unwrap_or(-1)
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            "2026-10-30 23:00:00.000 2026-10-31 00:00:00.000 1",
            "2026-10-31 00:00:00.000 2026-10-31 01:00:00.000 1",
            "2026-10-31 13:00:00.000 2026-10-31 14:00:00.000 1",
            "2026-11-01 00:00:00.000 2026-11-01 01:00:00.000 1",
            "2026-11-01 01:00:00.000 2026-11-01 02:00:00.000 4",
            "2026-11-01 02:00:00.000 2026-11-01 03:00:00.000 1",
            "2026-11-01 23:00:00.000 2026-11-02 00:00:00.000 1",
            "2026-11-02 00:00:00.000 2026-11-02 01:00:00.000 1",
            "2026-11-02 04:00:00.000 2026-11-02 05:00:00.000 1",
        ]
    );
}

/// With `WATERMARK FOR ts AS ts` the watermark equals the largest rowtime, so a row that shares
/// it and comes in a later source batch is late. Flink emits watermarks periodically
/// (`pipeline.auto-watermark-interval`), not per batch: 3000 rows on a window's last
/// millisecond, read in several batches well within the interval, all count.
#[test]
fn rows_sharing_the_watermark_are_kept_within_the_emit_interval() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ties.json");
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(&format!("{{\"id\": {i}, \"ms\": 999}}\n"));
    }
    text.push_str("{\"id\": 3000, \"ms\": 5000}\n");
    std::fs::write(&path, text).unwrap();
    let sql = format!(
        "SET 'pipeline.auto-watermark-interval' = '10 s';
         CREATE TABLE t (id INT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3), WATERMARK FOR ts AS ts)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
         SELECT CAST(window_start AS STRING), COUNT(*)
         FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND))
         GROUP BY window_start, window_end;",
        path.display()
    );
    let got: Vec<(String, i64)> = rows(&sql)
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap_or("?").to_string(),
                r[1].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("1970-01-01 00:00:00.000".to_string(), 3000),
            ("1970-01-01 00:00:05.000".to_string(), 1)
        ]
    );
}

/// Filters and projections over one input run as one operator; the plan's order still holds:
/// a view's `WHERE a <> 0` runs before the query's `10 / a`, which would fail on `a = 0`, and
/// a computed column read twice above is computed once below (`RAND()` shows it: both reads
/// see the same value).
#[test]
fn fused_filters_keep_their_order_and_computed_columns_their_count() {
    let got = rows(
        "CREATE VIEW nonzero AS SELECT a, a * 3 AS b FROM (VALUES (0), (1), (2), (5)) AS t(a) WHERE a <> 0;
         SELECT b, 10 / a AS q FROM nonzero WHERE 10 / a >= 2;",
    );
    assert_eq!(
        got,
        vec![
            vec![Value::Int(3), Value::Int(10)],
            vec![Value::Int(6), Value::Int(5)],
            vec![Value::Int(15), Value::Int(2)],
        ]
    );
    let twice = rows("SELECT r, r FROM (SELECT RAND() AS r FROM (VALUES (1), (2), (3)) AS t(a));");
    assert_eq!(twice.len(), 3);
    for row in &twice {
        assert_eq!(row[0], row[1], "one RAND() per row, read twice");
    }
}

/// A view read by branches with different filters and by one without: the rows no filtered
/// branch keeps are dropped once before the branches (see `EXPLAIN` golden `filtered_reuse`),
/// and still every branch gets exactly its rows — the unfiltered one all of them.
#[test]
fn branches_over_a_shared_view_get_their_rows_after_the_shared_prefilter() {
    let mut got = rows(
        "CREATE VIEW t AS SELECT kind, id FROM (VALUES (0, 1), (1, 2), (1, 9), (2, 3), (0, 4), (3, 5)) AS e(kind, id);
         SELECT id, 'p' FROM t WHERE kind = 0
         UNION ALL SELECT id, 'a' FROM t WHERE kind = 1 AND id > 5
         UNION ALL SELECT id, 'x' FROM t WHERE kind <> 2 OR id > 100
         UNION ALL SELECT id, 'all' FROM t;",
    );
    got.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    let mut want: Vec<Vec<Value>> = [
        (1, "p"),
        (4, "p"),
        (9, "a"),
        (1, "x"),
        (2, "x"),
        (9, "x"),
        (4, "x"),
        (5, "x"),
    ]
    .into_iter()
    .chain([1, 2, 9, 3, 4, 5].map(|id| (id, "all")))
    .map(|(id, what)| vec![Value::Int(id), Value::String(what.into())])
    .collect();
    want.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
    assert_eq!(got, want);
}

/// A datagen table's computed columns, integer trees and a general expression, completed a
/// poll at a time: every row gets its own values, and a row whose column fails fails the job
/// with the table named and the first error in row order (the integer tree's division by
/// zero at `id` = 7, not the general column's failed cast, which comes first in the table but
/// fails only from `id` = 9 on).
#[test]
fn computed_columns_are_completed_per_row_and_the_first_failure_is_reported() {
    let got = rows(
        "CREATE TABLE g (id BIGINT, k AS id % 3, ts AS TO_TIMESTAMP_LTZ(id, 3), s AS CAST(id AS STRING))
           WITH ('connector' = 'datagen', 'number-of-rows' = '5', 'fields.id.kind' = 'sequence',
                 'fields.id.start' = '1', 'fields.id.end' = '5');
         SELECT id, k, s FROM g;",
    );
    let mut got = got;
    got.sort_by_key(|r| r[0].as_i64());
    let want: Vec<Vec<Value>> = (1..=5)
        .map(|i| vec![Value::Int(i), Value::Int(i % 3), Value::String(i.to_string())])
        .collect();
    assert_eq!(got, want);

    let sql = "CREATE TABLE bad (id BIGINT, r AS CAST(IF(id >= 9, 'x', '1') AS INT), q AS 10 / (id - 7))
           WITH ('connector' = 'datagen', 'number-of-rows' = '20', 'fields.id.kind' = 'sequence',
                 'fields.id.start' = '1', 'fields.id.end' = '20');
         SELECT id, q, r FROM bad;";
    let mut session = Session::new(SessionOptions::default());
    let err = session.execute_script(sql, |_, _| {}).unwrap_err().to_string();
    assert!(
        err.contains("table") && err.contains("bad") && err.contains("division by zero"),
        "{err}"
    );
    // The cast's own failure, to know the assertion above can tell them apart.
    let sql = sql.replace("10 / (id - 7)", "10 / (id + 100)");
    let err = Session::new(SessionOptions::default())
        .execute_script(&sql, |_, _| {})
        .unwrap_err()
        .to_string();
    assert!(
        !err.contains("division by zero") && err.contains("computing a column failed"),
        "{err}"
    );
}

#[test]
fn unnest_gives_a_row_per_element_after_its_row() {
    let mut got = rows(
        "SELECT a, x, n FROM (VALUES (1, ARRAY[10, 20]), (2, ARRAY[30])) AS t(a, arr)
           CROSS JOIN UNNEST(arr) WITH ORDINALITY AS u(x, n) WHERE x > 10;",
    );
    got.sort_by_key(|r| r[1].as_i64());
    let want: Vec<Vec<Value>> = [(1, 20, 2), (2, 30, 1)]
        .iter()
        .map(|(a, x, n)| vec![Value::Int(*a), Value::Int(*x), Value::Int(*n)])
        .collect();
    assert_eq!(got, want);
    // Uncorrelated and on its own, as Flink allows.
    let got = rows("SELECT x FROM UNNEST(ARRAY['p', 'q']) AS u(x);");
    assert_eq!(
        got,
        vec![vec![Value::String("p".into())], vec![Value::String("q".into())]]
    );
}

#[test]
fn bad_unnests_are_errors_at_their_position() {
    let from = "FROM (VALUES (1, ARRAY[1], STR_TO_MAP('k=2'))) AS t(a, arr, m)";
    // The error's text, and where it points: at the text after `@`.
    let cases: &[(String, &str)] = &[
        (
            format!("SELECT * {from} CROSS JOIN @UNNEST(t.a) AS u(x)"),
            "ARRAY, MULTISET or MAP, but its argument is INT",
        ),
        (
            format!("SELECT * {from} CROSS JOIN UNNEST(t.arr) AS u(@x, y)"),
            "the alias u names 2 columns, but UNNEST gives 1 (EXPR$0)",
        ),
        (
            format!("SELECT * {from} CROSS JOIN UNNEST(t.m) AS u(@x)"),
            "names 1 columns, but UNNEST gives 2 (KEY, VALUE)",
        ),
        (
            format!("SELECT * {from} CROSS JOIN UNNEST(t.@nope) AS u(x)"),
            "unknown column 't.nope'",
        ),
        (
            format!("SELECT * {from} RIGHT JOIN @UNNEST(t.arr) AS u(x) ON TRUE"),
            "Flink rejects RIGHT and FULL joins of UNNEST",
        ),
        (
            format!("SELECT * {from} CROSS JOIN UNNEST(t.arr) AS @t(x)"),
            "duplicate relation name 't'",
        ),
        (
            format!("SELECT * {from} LEFT JOIN UNNEST(t.arr) AS u(x) ON x + 1"),
            "ON must be a BOOLEAN condition",
        ),
    ];
    for (marked, text) in cases {
        let sql = format!("{};", marked.replace('@', ""));
        let err = Session::new(SessionOptions::default())
            .execute_script(&sql, |_, _| {})
            .expect_err(&sql);
        assert!(err.message().contains(text), "{sql}: {}", err.message());
        if let Some(at) = marked.find('@') {
            assert_eq!(
                err.position().map(|p| p.column),
                Some(at as u64 + 1),
                "{}",
                err.render(&sql)
            );
        }
    }
}

/// Flink 2.3 refuses `STDDEV_POP` over a string ("Supported form(s): 'STDDEV_POP(<NUMERIC>)'");
/// so does Spate, naming the call and where it is.
#[test]
fn deviations_and_variances_take_numbers_only() {
    for call in ["STDDEV_POP(s)", "VARIANCE(s)", "VAR_POP(s, s)"] {
        let sql = format!(
            "CREATE TABLE t (s STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
               WITH ('connector' = 'datagen');
             SELECT window_start, {call} FROM TABLE(TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '1' SECOND))
             GROUP BY window_start, window_end;"
        );
        let mut session = Session::new(SessionOptions::default());
        let err = session.execute_script(&sql, |_, _| {}).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("VAR") || text.contains("STDDEV"), "{call}: {text}");
        assert!(
            text.contains("cannot be applied to STRING") || text.contains("takes 1 argument"),
            "{call}: {text}"
        );
        assert!(err.position().is_some(), "{call}: {text}");
    }
}

/// An updating query into an append-only sink fails at planning time with Flink 2.3's message,
/// naming the node that produces the updates through the filters and projections above it (both
/// messages as Flink 2.3 printed them for these statements, 2026-11-26).
#[test]
fn updates_into_an_append_only_sink_fail_with_flinks_message() {
    let ddl = "CREATE TABLE events (user_id BIGINT, amount BIGINT, item STRING)
                 WITH ('connector' = 'datagen', 'number-of-rows' = '10');
               CREATE TABLE fs (user_id BIGINT, c BIGINT)
                 WITH ('connector' = 'filesystem', 'path' = '/nonexistent/spate-test', 'format' = 'csv');
               CREATE TABLE out_k (user_id BIGINT, cnt BIGINT)
                 WITH ('connector' = 'kafka', 'topic' = 'x', 'properties.bootstrap.servers' = '127.0.0.1:1',
                       'format' = 'json');";
    let cases = [
        (
            "INSERT INTO out_k SELECT user_id, COUNT(*) AS cnt FROM events GROUP BY user_id;",
            "Table sink 'default_catalog.default_database.out_k' doesn't support consuming update changes which is produced by node GroupAggregate(groupBy=[user_id], select=[user_id, COUNT(*) AS cnt])",
        ),
        (
            "INSERT INTO fs SELECT user_id, c FROM (SELECT user_id, COUNT(*) AS c FROM events GROUP BY user_id) WHERE c > 1;",
            "Table sink 'default_catalog.default_database.fs' doesn't support consuming update changes which is produced by node GroupAggregate(groupBy=[user_id], select=[user_id, COUNT(*) AS c])",
        ),
        (
            "INSERT INTO fs SELECT c, COUNT(*) FROM (SELECT user_id, COUNT(*) AS c FROM events GROUP BY user_id) GROUP BY c;",
            "Table sink 'default_catalog.default_database.fs' doesn't support consuming update and delete changes which is produced by node GroupAggregate(groupBy=[c], select=[c, COUNT_RETRACT(*) AS EXPR$1])",
        ),
    ];
    for (insert, message) in cases {
        let mut session = Session::new(SessionOptions::default());
        let err = session
            .execute_script(&format!("{ddl}\n{insert}"), |_, _| {})
            .unwrap_err()
            .to_string();
        assert!(err.contains(message), "{insert}\n{err}");
    }
}

/// An updating aggregate writes what each sink asks for: `print` takes retractions (`-U`
/// before each `+U`), `blackhole` upserts (the new image alone, so one change per input row).
#[test]
fn an_updating_aggregate_writes_retractions_or_upserts_as_the_sink_asks() {
    use spate_connectors::print::PrintTarget;
    use spate_sql::connector::ConnectorContext;
    use spate_sql::job::Translator;
    let sql = "CREATE TABLE p (k INT, c BIGINT) WITH ('connector' = 'print');
               CREATE TABLE b (k INT, c BIGINT) WITH ('connector' = 'blackhole');";
    let mut catalog = spate_sql::Catalog::new();
    for s in spate_sql::parse(sql).unwrap() {
        catalog.apply(&s).unwrap();
    }
    let query = "SELECT k, COUNT(*) FROM (VALUES (1), (2), (1), (1)) AS t(k) GROUP BY k";
    let inserts: Vec<_> = ["p", "b"]
        .iter()
        .map(
            |t| match spate_sql::parse_statement(&format!("INSERT INTO {t} {query}")).unwrap() {
                spate_sql::Statement::Insert(i) => i,
                other => panic!("{other:?}"),
            },
        )
        .collect();
    let planned = spate_sql::plan::plan_inserts(&catalog, &inserts).unwrap();
    let target = PrintTarget::buffer();
    let ctx = ConnectorContext {
        print_target: Some(target.clone()),
        ..ConnectorContext::default()
    };
    let stats = ctx.stats.clone();
    let env = spate_engine::StreamEnvironment::new();
    env.set_parallelism(1);
    Translator::new(&env, ctx).insert_all(&planned).unwrap();
    env.execute().unwrap();
    let printed = target.contents();
    let lines: Vec<&str> = printed.lines().collect();
    assert_eq!(
        lines,
        [
            "+I[1, 1]", "+I[2, 1]", "-U[1, 1]", "+U[1, 2]", "-U[1, 2]", "+U[1, 3]"
        ],
        "{printed}"
    );
    assert_eq!(stats.get("b.records-written"), 4);
}

/// A join (Flink 2.3 takes updating inputs there; Spate not yet) over an updating aggregate is a
/// planning error that names both nodes.
#[test]
fn a_join_of_an_updating_input_joins_the_latest_rows() {
    // Each user's count joined with each of that user's events: the final table holds every
    // event with its user's final count, whatever updates the counts went through.
    let sql = "CREATE TABLE events (user_id INT, amount INT)
                 WITH ('connector' = 'datagen', 'number-of-rows' = '40',
                       'fields.user_id.min' = '1', 'fields.user_id.max' = '3');
               SELECT a.user_id, a.c, b.amount FROM
                 (SELECT user_id, COUNT(*) AS c FROM events GROUP BY user_id) AS a
                 JOIN events AS b ON a.user_id = b.user_id;";
    let mut session = Session::new(SessionOptions::default());
    let mut table: std::collections::BTreeMap<Vec<String>, i64> = std::collections::BTreeMap::new();
    let mut changes = 0;
    session
        .execute_script(sql, |_, result| {
            if let StatementResult::Rows { rows, kinds, .. } = result {
                for (row, kind) in rows.iter().zip(kinds) {
                    changes += 1;
                    let key: Vec<String> = row.iter().map(|v| format!("{v:?}")).collect();
                    let delta = match kind {
                        RowKind::Insert | RowKind::UpdateAfter => 1,
                        RowKind::UpdateBefore | RowKind::Delete => -1,
                    };
                    *table.entry(key).or_insert(0) += delta;
                }
            }
        })
        .expect("an updating join runs");
    table.retain(|_, n| *n != 0);
    assert!(
        table.values().all(|n| *n > 0),
        "a row retracted more often than emitted: {table:?}"
    );
    // 40 events, each once in the final table with its user's final count; the counts sum
    // over users to 40, and each event row carries its user's count.
    let rows: i64 = table.values().sum();
    assert_eq!(rows, 40, "{table:?}");
    let mut per_user: std::collections::BTreeMap<String, (i64, String)> = std::collections::BTreeMap::new();
    for (row, n) in &table {
        let entry = per_user.entry(row[0].clone()).or_insert((0, row[1].clone()));
        entry.0 += n;
        assert_eq!(entry.1, row[1], "one user, two final counts: {table:?}");
    }
    for (user, (events, count)) in &per_user {
        assert_eq!(format!("Int({events})"), *count, "user {user}: {table:?}");
    }
    assert!(changes > 40, "the counts' updates must show in the changelog");
}

#[test]
fn joins_flink_refuses_over_updates_or_lost_time_fail_with_flinks_messages() {
    let ddl = "CREATE TABLE a (id INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
                 WITH ('connector' = 'datagen', 'number-of-rows' = '1');
               CREATE TABLE rc (rid INT, k INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts)
                 WITH ('connector' = 'filesystem', 'path' = '/nonexistent', 'format' = 'debezium-json');";
    let fail = |query: &str| {
        let mut session = Session::new(SessionOptions::default());
        session
            .execute_script(&format!("{ddl}\n{query}"), |_, _| {})
            .unwrap_err()
            .to_string()
    };
    // An interval join of a changelog: refused for good, in Flink's words.
    let err =
        fail("SELECT * FROM a, rc WHERE a.id = rc.k AND a.ts BETWEEN rc.ts - INTERVAL '1' HOUR AND rc.ts;");
    assert!(
        err.contains("StreamPhysicalIntervalJoin doesn't support consuming update and delete changes which is produced by node TableSourceScan(table=[[default_catalog, default_database, rc]]"),
        "{err}"
    );
    // A regular join's output has no time attribute left for a window.
    let err = fail(
        "CREATE VIEW j AS SELECT a.id, a.ts FROM a JOIN a AS b ON a.id = b.id;
         SELECT * FROM TABLE(TUMBLE(TABLE j, DESCRIPTOR(ts), INTERVAL '10' MINUTE));",
    );
    assert!(
        err.contains(
            "The window function requires the timecol is a time attribute type, but is TIMESTAMP(3)."
        ),
        "{err}"
    );
}

/// `/*+ OPTIONS(..) */` after a table's name overrides its `WITH` options for that read (Flink's
/// dynamic table options): here the path of a file table, so two reads of one table read two
/// files. Options are checked as `CREATE TABLE` checks them; a view takes none; a hint that
/// follows no table name is an error, never dropped.
#[test]
fn an_options_hint_overrides_a_tables_options_for_one_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a.json"), dir.path().join("b.json"));
    std::fs::write(&a, "{\"v\": 1}\n{\"v\": 2}\n").expect("write");
    std::fs::write(&b, "{\"v\": 30}\n").expect("write");
    let ddl = format!(
        "CREATE TABLE t (v INT) WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
         CREATE VIEW w AS SELECT * FROM t;",
        a.display()
    );
    let run = |query: &str| {
        let script = format!("{ddl}\n{query}");
        let mut rows = Vec::new();
        Session::new(SessionOptions::default())
            .execute_script(&script, |_, result| {
                if let StatementResult::Rows { rows: r, .. } = result {
                    rows = r.iter().map(|row| row[0].clone()).collect();
                }
            })
            .map(|_| {
                rows.sort_by_key(|v: &Value| v.as_i64());
                rows
            })
            .map_err(|e| e.to_string())
    };
    let ints = |v: &[i64]| v.iter().map(|i| Value::Int(*i)).collect::<Vec<_>>();
    assert_eq!(run("SELECT v FROM t;").unwrap(), ints(&[1, 2]));
    let hinted = format!("SELECT v FROM t /*+ OPTIONS('path' = '{}') */ AS x;", b.display());
    assert_eq!(run(&hinted).unwrap(), ints(&[30]));
    let both = format!(
        "SELECT v FROM t UNION ALL SELECT v FROM t /*+ OPTIONS('path' = '{}') */;",
        b.display()
    );
    assert_eq!(run(&both).unwrap(), ints(&[1, 2, 30]));
    let err = run("SELECT v FROM t /*+ OPTIONS('no.such.option' = '1') */;").unwrap_err();
    assert!(err.contains("unsupported option 'no.such.option'"), "{err}");
    let err = run("SELECT v FROM w /*+ OPTIONS('path' = '/x') */;").unwrap_err();
    assert!(
        err.contains("View 'w' cannot be enriched with new options. Hints can only be applied to tables."),
        "{err}"
    );
    let err = run("SELECT v FROM t AS x /*+ OPTIONS('path' = '/x') */;").unwrap_err();
    assert!(
        err.contains("an OPTIONS hint stands right after the name of a table"),
        "{err}"
    );
    // The hint prints back as Flink SQL and parses to the same statement.
    let stmt =
        spate_sql::parse_statement("SELECT v FROM t /*+ OPTIONS('a' = 'it''s') */ AS x").expect("parses");
    assert_eq!(
        spate_sql::parse_statement(&stmt.to_string()).expect("reparses"),
        stmt
    );
    assert!(
        stmt.to_string().contains("t /*+ OPTIONS('a' = 'it''s') */ AS x"),
        "{stmt}"
    );
}
