//! `spate bench nexmark --query q5 --events N`: the Nexmark project's SQL queries over N
//! events read from Kafka, as the Nexmark project runs them on Flink (its Kafka table and
//! views, the query into a blackhole). The events are written once into the topic `nexmark`
//! (JSON, by a SQL job from the `nexmark` generator), then each query runs as its own job and
//! reports events per second of job time. `scripts/bench-nexmark-vs-flink.sh` runs the same
//! SQL files on Flink against the same topic, side by side.

use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail, ensure};
use spate_sql::expr::{EvalError, ScalarUdf};
use spate_sql::types::{DataType, MAX_LENGTH, TypeKind};
use spate_sql::value::Value;
use spate_sql::{Session, SessionOptions, StatementResult};

use crate::cli::NexmarkBenchArgs;
use crate::cluster::Cluster;

/// The SQL files, shared with the side-by-side script.
const DDL: &str = include_str!("../../../../scripts/bench-nexmark/ddl.sql");
const LOAD: &str = include_str!("../../../../scripts/bench-nexmark/load.sql");
const QUERIES: &[(&str, &str)] = &[
    ("q0", include_str!("../../../../scripts/bench-nexmark/q0.sql")),
    ("q1", include_str!("../../../../scripts/bench-nexmark/q1.sql")),
    ("q2", include_str!("../../../../scripts/bench-nexmark/q2.sql")),
    ("q3", include_str!("../../../../scripts/bench-nexmark/q3.sql")),
    ("q4", include_str!("../../../../scripts/bench-nexmark/q4.sql")),
    ("q5", include_str!("../../../../scripts/bench-nexmark/q5.sql")),
    ("q6", include_str!("../../../../scripts/bench-nexmark/q6.sql")),
    ("q7", include_str!("../../../../scripts/bench-nexmark/q7.sql")),
    ("q8", include_str!("../../../../scripts/bench-nexmark/q8.sql")),
    ("q9", include_str!("../../../../scripts/bench-nexmark/q9.sql")),
    ("q10", include_str!("../../../../scripts/bench-nexmark/q10.sql")),
    ("q11", include_str!("../../../../scripts/bench-nexmark/q11.sql")),
    ("q12", include_str!("../../../../scripts/bench-nexmark/q12.sql")),
    ("q14", include_str!("../../../../scripts/bench-nexmark/q14.sql")),
    ("q15", include_str!("../../../../scripts/bench-nexmark/q15.sql")),
    ("q16", include_str!("../../../../scripts/bench-nexmark/q16.sql")),
    ("q17", include_str!("../../../../scripts/bench-nexmark/q17.sql")),
    ("q18", include_str!("../../../../scripts/bench-nexmark/q18.sql")),
    ("q19", include_str!("../../../../scripts/bench-nexmark/q19.sql")),
    ("q20", include_str!("../../../../scripts/bench-nexmark/q20.sql")),
    ("q21", include_str!("../../../../scripts/bench-nexmark/q21.sql")),
    ("q22", include_str!("../../../../scripts/bench-nexmark/q22.sql")),
];

/// The query's SQL text, or an error listing the known ones.
fn query(name: &str) -> Result<&'static str> {
    QUERIES
        .iter()
        .find(|(q, _)| q.eq_ignore_ascii_case(name))
        .map(|(_, sql)| *sql)
        .ok_or_else(|| {
            let known: Vec<&str> = QUERIES.iter().map(|(q, _)| *q).collect();
            anyhow!("unknown Nexmark query '{name}' (known: {})", known.join(", "))
        })
}

pub fn run(args: NexmarkBenchArgs) -> Result<()> {
    // Check every name before loading anything.
    let queries = args
        .queries
        .iter()
        .map(|q| query(q).map(|sql| (q.as_str(), sql)))
        .collect::<Result<Vec<_>>>()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let tmp = tempfile::tempdir()?;
    let data_dir = args.data_dir.clone().unwrap_or_else(|| tmp.path().join("broker"));
    let cluster = Cluster::given_or_embedded(&runtime, args.bootstrap.as_deref(), &data_dir)?;
    let fill = |sql: &str| {
        sql.replace("${BOOTSTRAP}", &cluster.bootstrap)
            .replace("${EVENTS}", &args.events.to_string())
    };
    if !args.no_load {
        let started = Instant::now();
        run_job(&fill(LOAD))?;
        println!(
            "loaded {} Nexmark events into topic nexmark in {:.2} s",
            args.events,
            started.elapsed().as_secs_f64()
        );
    }
    for (name, sql) in queries {
        // q10 writes files: into a directory of its own per run, removed after it.
        let out = tempfile::tempdir_in(tmp.path())?;
        let script = format!("{}\n{}", fill(DDL), sql).replace("${OUT}", &out.path().display().to_string());
        let secs = run_job(&script)?;
        println!(
            "nexmark {name}: {} events in {:.2} s (job time): {:.3} M events/s",
            args.events,
            secs,
            args.events as f64 / secs.max(1e-9) / 1e6
        );
    }
    Ok(())
}

/// Runs a script whose last statement is one `INSERT INTO`; returns the job's run time in s.
fn run_job(script: &str) -> Result<f64> {
    let mut session = Session::new(SessionOptions::default());
    session.register_function(count_char());
    let mut job = None;
    session
        .execute_script(script, |_, r| {
            if let StatementResult::Job(j) = r {
                job = Some(j);
            }
        })
        .map_err(|e| anyhow!("{}", e.render(script)))?;
    let Some(job) = job else {
        bail!("the script ran no job");
    };
    ensure!(!job.operators.is_empty(), "the job reported no operators");
    Ok(job.elapsed.as_secs_f64())
}

/// Nexmark q14's user-defined function `count_char(s, c)`: how often the first byte of `c`
/// occurs in the bytes of `s`, 0 when `s` is NULL (the Nexmark project's `CountChar`, which
/// scripts/bench-nexmark/CountChar.java is for Flink).
fn count_char() -> ScalarUdf {
    let string = DataType::new(TypeKind::Varchar(MAX_LENGTH));
    ScalarUdf::new(
        "count_char",
        vec![string.clone(), string],
        DataType::new(TypeKind::BigInt),
        |args: &[Value]| -> Result<Value, EvalError> {
            let wanted = match args.get(1) {
                Some(Value::String(c)) => c.bytes().next(),
                _ => None,
            };
            let n = match (args.first(), wanted) {
                (Some(Value::String(s)), Some(w)) => s.bytes().filter(|b| *b == w).count(),
                _ => 0,
            };
            Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_char_counts_bytes_of_the_first_character() {
        let f = count_char();
        let call = |s: Value, c: &str| (f.body)(&[s, Value::String(c.to_string())]).unwrap();
        assert_eq!(call(Value::String("accccb".into()), "c"), Value::Int(4));
        assert_eq!(call(Value::String("abc".into()), "cz"), Value::Int(1));
        assert_eq!(call(Value::String(String::new()), "c"), Value::Int(0));
        assert_eq!(call(Value::Null, "c"), Value::Int(0));
    }

    #[test]
    fn every_query_file_is_known_and_parses() {
        for (name, sql) in QUERIES {
            assert_eq!(query(name).unwrap(), *sql);
            let script = format!("{DDL}\n{sql}");
            spate_sql::parse(&script).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}
