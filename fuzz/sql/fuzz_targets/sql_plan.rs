//! Arbitrary text as a Flink SQL script: parsed and, statement by statement, planned
//! (`EXPLAIN`) in a session of datagen and blackhole tables (no Kafka, nothing runs). Any
//! outcome is fine but a panic, stack overflow, timeout or running out of memory.
#![no_main]

use libfuzzer_sys::fuzz_target;
use spate_sql::ast::{Explain, Statement};
use spate_sql::{Session, SessionOptions};

const TABLES: &str = "
CREATE TABLE t (a INT, b STRING, c BIGINT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE out1 (a INT) WITH ('connector' = 'blackhole');
CREATE TABLE out3 (a INT, b STRING, c BIGINT) WITH ('connector' = 'blackhole');
";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(statements) = spate_sql::parse(text) else {
        return;
    };
    let mut session = Session::new(SessionOptions::default());
    if session.execute_script(TABLES, |_, _| {}).is_err() {
        return;
    }
    for stmt in statements {
        // Queries and INSERTs are planned, not run; DDL and SET go to the session.
        let stmt = match stmt {
            s @ (Statement::Select(_) | Statement::Insert(_) | Statement::StatementSet(_)) => {
                Statement::Explain(Explain {
                    details: Vec::new(),
                    statement: Box::new(s),
                })
            }
            other => other,
        };
        let _ = session.execute(&stmt);
    }
});
