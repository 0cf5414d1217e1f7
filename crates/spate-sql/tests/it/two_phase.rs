//! `SET 'table.optimizer.agg-phase-strategy' = 'TWO_PHASE'`: window aggregates whose
//! aggregates merge in any order are folded before the keyed exchange too, and give exactly
//! the one-phase results; the others keep one phase.
#![allow(clippy::unwrap_used)]

use spate_sql::value::Value;
use spate_sql::{Session, SessionOptions, StatementResult};

/// The results of the script's last query (rows or text), sorted as text.
fn run(sql: &str) -> Vec<String> {
    let mut session = Session::new(SessionOptions::default());
    let mut out = Vec::new();
    session
        .execute_script(sql, |_, r| match r {
            StatementResult::Rows { rows, .. } => {
                out = rows.iter().map(|r: &Vec<Value>| format!("{r:?}")).collect();
            }
            StatementResult::Text(t) => out = vec![t],
            _ => {}
        })
        .unwrap_or_else(|e| panic!("{}", e.render(sql)));
    out.sort();
    out
}

/// 6000 rows over 7 keys, 1 ms apart with up to 40 ms of disorder, into a file.
fn input(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("events.json");
    let mut text = String::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..6000u64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let ms = (i as i64 + (x % 41) as i64 - 20).max(0);
        text.push_str(&format!(
            "{{\"k\": {}, \"v\": {}, \"ms\": {ms}}}\n",
            x % 7,
            x % 1000
        ));
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn script(path: &std::path::Path, strategy: &str, query: &str) -> String {
    format!(
        "SET 'parallelism.default' = '2';
         SET 'table.optimizer.agg-phase-strategy' = '{strategy}';
         CREATE TABLE t (k INT, v INT, ms BIGINT, ts AS TO_TIMESTAMP_LTZ(ms, 3),
                         WATERMARK FOR ts AS ts - INTERVAL '0.05' SECOND)
           WITH ('connector' = 'filesystem', 'path' = '{}', 'format' = 'json');
         {query}",
        path.display()
    )
}

const AGGREGATES: &str = "COUNT(*), COUNT(DISTINCT v), SUM(v), MIN(v), MAX(v), AVG(v)";

#[test]
fn two_phase_tumbling_and_hopping_windows_give_the_one_phase_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = input(dir.path());
    for window in [
        "TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '0.1' SECOND)",
        "HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '0.1' SECOND, INTERVAL '0.3' SECOND)",
    ] {
        let query = format!(
            "SELECT k, window_start, window_end, {AGGREGATES} FROM TABLE({window})
             GROUP BY k, window_start, window_end;"
        );
        let one = run(&script(&path, "ONE_PHASE", &query));
        let two = run(&script(&path, "TWO_PHASE", &query));
        assert!(one.len() > 7 * 50, "{window}: {} rows", one.len());
        assert_eq!(one, two, "{window}");
        let plan = run(&script(&path, "TWO_PHASE", &format!("EXPLAIN {query}")));
        assert!(plan[0].contains("window-pre-aggregate"), "{plan:?}");
    }
}

/// Standard deviations and variances merge their partial states (Welford's mean and squared
/// deviations): pre-aggregated, they give the one-phase results up to the last bits of the
/// double, which the rounding here hides.
#[test]
fn two_phase_deviations_and_variances_give_the_one_phase_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = input(dir.path());
    for window in [
        "TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '0.1' SECOND)",
        "HOP(TABLE t, DESCRIPTOR(ts), INTERVAL '0.1' SECOND, INTERVAL '0.3' SECOND)",
    ] {
        let query = format!(
            "SELECT k, window_start, ROUND(STDDEV_POP(CAST(v AS DOUBLE)), 6),
                    ROUND(VAR_SAMP(CAST(v AS DOUBLE)), 6), STDDEV(v), VAR_POP(CAST(v AS DECIMAL(10, 2)))
             FROM TABLE({window})
             GROUP BY k, window_start, window_end;"
        );
        let one = run(&script(&path, "ONE_PHASE", &query));
        let two = run(&script(&path, "TWO_PHASE", &query));
        assert!(one.len() > 7 * 50, "{window}: {} rows", one.len());
        assert_eq!(one, two, "{window}");
        let plan = run(&script(&path, "TWO_PHASE", &format!("EXPLAIN {query}")));
        assert!(plan[0].contains("window-pre-aggregate"), "{plan:?}");
    }
}

#[test]
fn order_dependent_aggregates_and_one_phase_keep_a_single_window_operator() {
    let dir = tempfile::tempdir().unwrap();
    let path = input(dir.path());
    let window = "TUMBLE(TABLE t, DESCRIPTOR(ts), INTERVAL '0.1' SECOND)";
    for (strategy, aggregates) in [
        ("TWO_PHASE", "LISTAGG(CAST(v AS STRING))"),
        ("TWO_PHASE", "COUNT(*), FIRST_VALUE(v)"),
        ("ONE_PHASE", AGGREGATES),
        ("AUTO", AGGREGATES),
    ] {
        let query = format!(
            "EXPLAIN SELECT k, window_start, {aggregates} FROM TABLE({window})
             GROUP BY k, window_start, window_end;"
        );
        let plan = run(&script(&path, strategy, &query));
        assert!(
            !plan[0].contains("window-pre-aggregate"),
            "{strategy} {aggregates}: {plan:?}"
        );
    }
}

#[test]
fn an_unknown_strategy_is_an_error_naming_the_valid_ones() {
    let mut session = Session::new(SessionOptions::default());
    let sql = "SET 'table.optimizer.agg-phase-strategy' = 'THREE_PHASE';";
    let err = session.execute_script(sql, |_, _| {}).unwrap_err();
    let text = err.render(sql);
    assert!(text.contains("AUTO, ONE_PHASE or TWO_PHASE"), "{text}");
}
