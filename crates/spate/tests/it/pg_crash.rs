//! Crash test of the `jdbc` sink: `spate sql -f` running an unbounded `GROUP BY word` over a
//! Kafka topic a producer keeps writing to, into a PostgreSQL table with a primary key. The
//! job is killed with SIGKILL three times at random moments and restarted with the same
//! checkpoint directory. The sink flushes its buffer before every checkpoint completes, and a
//! restored job replays only what came after the checkpoint as upserts, so once the input is
//! consumed the table must equal the counts of an uninterrupted run: each word's total.
//!
//! The broker (`spate broker`) and PostgreSQL (a private server) are separate processes, so
//! only the job dies.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Child;

use crate::common::Broker;
use crate::common::sql_runs;
use crate::common::word_windows::{self, KillTimes};

#[path = "../../../spate-sql/tests/it/pg_server.rs"]
mod pg_server;

use pg_server::PgServer;

/// Topics `pg-in`/`pg-out` (the second unused), group id `pg-crash`.
const PREFIX: &str = "pg";

fn script(addr: &str, url: &str) -> String {
    format!(
        "SET 'execution.checkpointing.interval' = '500ms';
SET 'parallelism.default' = '2';
CREATE TABLE words (word STRING) WITH (
  'connector' = 'kafka', 'topic' = '{PREFIX}-in', 'properties.bootstrap.servers' = '{addr}',
  'properties.group.id' = '{PREFIX}-crash', 'scan.startup.mode' = 'earliest-offset', 'format' = 'json'
);
CREATE TABLE totals (word STRING, cnt BIGINT, PRIMARY KEY (word) NOT ENFORCED) WITH (
  'connector' = 'jdbc', 'url' = '{url}', 'table-name' = 'totals', 'username' = 'postgres',
  'password' = '', 'sink.buffer-flush.interval' = '200 ms'
);
INSERT INTO totals SELECT word, COUNT(*) FROM words GROUP BY word;
"
    )
}

fn start_job(addr: &str, url: &str, dir: &Path, run: usize) -> Child {
    sql_runs::start(&script(addr, url), dir, run, &[])
}

/// The PostgreSQL table: word → count.
fn table(pg: &PgServer) -> BTreeMap<String, u64> {
    pg.psql("SELECT word, cnt FROM totals")
        .iter()
        .map(|line| {
            let (w, n) = line.split_once('|').unwrap();
            (w.to_string(), n.parse().unwrap())
        })
        .collect()
}

#[test]
fn an_updating_job_into_postgresql_survives_three_sigkills() {
    let dir = tempfile::tempdir().unwrap();
    let pg = PgServer::start();
    pg.execute("CREATE TABLE totals (word TEXT PRIMARY KEY, cnt BIGINT NOT NULL)");
    let url = pg.url();
    let mut broker = Broker::start(&dir.path().join("broker"), &dir.path().join("broker.log"));
    word_windows::create_topics(&broker.addr, PREFIX);
    let mut kill_times = KillTimes::from_clock();
    let producer = word_windows::produce(broker.addr.clone(), PREFIX);
    sql_runs::kill_three_runs(dir.path(), &mut kill_times, |run| {
        start_job(&broker.addr, &url, dir.path(), run)
    });
    producer.join().unwrap();

    // The last run: wait until the table is complete, then stop it with SIGTERM.
    let want = word_windows::word_totals();
    let run = 3;
    let mut job = start_job(&broker.addr, &url, dir.path(), run);
    sql_runs::finish(&mut job, dir.path(), run, || table(&pg) == want);
    assert_eq!(
        table(&pg),
        want,
        "the final table\n{}",
        sql_runs::log(dir.path(), run)
    );
    broker.kill();
}
