//! Checking a submitted SQL script before it becomes a job: it must parse, hold exactly one
//! job (one `INSERT INTO` or one statement set; the statements around it are DDL and `SET`),
//! no query whose rows would go nowhere, and every statement must bind against the script's
//! own tables. The check runs the script in a session that plans the job (its engine graph,
//! as `EXPLAIN` would show it) instead of running it, so a typo is a 400 at submission and
//! not a failed job.

use spate_sql::{Session, SessionOptions, Statement, TableAccess};

use crate::error::{Result, ServerError};

/// What [`check`] found of a job script.
#[derive(Debug, Clone)]
pub struct Checked {
    /// A name for the job: Flink's `insert-into_<tables>`.
    pub name: String,
    /// The tables the job reads and writes (for [`crate::rights::Rights::check_tables`]).
    pub tables: TableAccess,
}

/// Checks `sql` as a job script.
pub fn check(sql: &str, bootstrap: Option<&str>) -> Result<Checked> {
    checked(sql, bootstrap).map(|(checked, _)| checked)
}

/// The engine graph the job script `sql` runs as (operators, parallelism, partitioning,
/// chains), which [`crate::graph`] shows.
pub fn operator_graph(sql: &str, bootstrap: Option<&str>) -> Result<spate_engine::OperatorGraph> {
    checked(sql, bootstrap).map(|(_, graph)| graph)
}

/// The stack of the threads that plan submitted SQL. spate-sql bounds how deep planning
/// recurses (it fits a 2 MiB stack); this leaves a wide margin, and costs only the pages used.
pub(crate) const PLANNING_STACK: usize = 64 * 1024 * 1024;

/// Runs `plan` on a thread of its own with a [`PLANNING_STACK`] stack, so planning a hostile
/// script can neither overflow the calling thread's (a runtime worker's) stack nor unwind
/// through the server: a panic becomes an error.
pub(crate) fn on_planning_thread<T: Send>(plan: impl FnOnce() -> Result<T> + Send) -> Result<T> {
    std::thread::scope(|scope| {
        let planner = std::thread::Builder::new()
            .name("spate-sql-plan".into())
            .stack_size(PLANNING_STACK)
            .spawn_scoped(scope, plan)
            .map_err(|e| ServerError::Job(format!("cannot start a thread to plan the script: {e}")))?;
        planner.join().unwrap_or_else(|panic| {
            let why = panic
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| panic.downcast_ref::<&str>().copied())
                .unwrap_or("no message");
            Err(ServerError::Job(format!("planning the script failed: {why}")))
        })
    })
}

/// The job's name and tables, and its engine graph.
fn checked(sql: &str, bootstrap: Option<&str>) -> Result<(Checked, spate_engine::OperatorGraph)> {
    on_planning_thread(|| plan_checked(sql, bootstrap))
}

fn plan_checked(sql: &str, bootstrap: Option<&str>) -> Result<(Checked, spate_engine::OperatorGraph)> {
    let bad = |e: spate_sql::SqlError| ServerError::BadRequest(e.render(sql));
    let statements = spate_sql::parse(sql).map_err(bad)?;
    let mut tables = Vec::new();
    let mut jobs = 0;
    for stmt in &statements {
        match stmt {
            Statement::Insert(i) => {
                jobs += 1;
                tables.push(i.table.base().to_string());
            }
            Statement::StatementSet(set) => {
                jobs += 1;
                tables.extend(set.iter().map(|i| i.table.base().to_string()));
            }
            Statement::Select(_) => {
                return Err(ServerError::BadRequest(
                    "a job script cannot hold a query (SELECT): its rows would go nowhere; \
                     write them to a table with INSERT INTO"
                        .into(),
                ));
            }
            _ => {}
        }
    }
    if jobs != 1 {
        return Err(ServerError::BadRequest(format!(
            "a job script holds exactly one INSERT INTO or statement set (this one has {jobs})"
        )));
    }
    let mut session = Session::new(SessionOptions {
        bootstrap: bootstrap.map(str::to_string),
        ..SessionOptions::default()
    });
    let mut graph = spate_engine::OperatorGraph::default();
    let mut access = TableAccess::default();
    for stmt in statements {
        if matches!(stmt, Statement::Insert(_) | Statement::StatementSet(_)) {
            access = spate_sql::table_access(session.catalog(), &stmt).map_err(bad)?;
            graph = session.operator_graph(&stmt).map_err(bad)?;
        } else {
            session.execute(&stmt).map_err(bad)?;
        }
    }
    let checked = Checked {
        name: format!("insert-into_{}", tables.join(",")),
        tables: access,
    };
    Ok((checked, graph))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLES: &str =
        "CREATE TABLE src (n BIGINT) WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE out (n BIGINT) WITH ('connector' = 'blackhole');\n";

    #[test]
    fn one_insert_is_a_job_and_gets_flinks_name() {
        let checked = check(&format!("{TABLES}INSERT INTO out SELECT n FROM src;"), None).unwrap();
        assert_eq!(checked.name, "insert-into_out");
        assert_eq!(checked.tables.reads[0].name.base(), "src");
        assert_eq!(checked.tables.writes[0].name.base(), "out");
    }

    #[test]
    fn an_updating_aggregate_into_a_sink_that_takes_updates_is_a_job() {
        let checked = check(
            &format!("{TABLES}INSERT INTO out SELECT COUNT(*) FROM src;"),
            None,
        )
        .unwrap();
        assert_eq!(checked.name, "insert-into_out");
    }

    #[test]
    fn scripts_that_are_not_one_job_are_refused_with_a_reason() {
        for (sql, why) in [
            (TABLES.to_string(), "exactly one"),
            (
                format!("{TABLES}INSERT INTO out SELECT n FROM src;INSERT INTO out SELECT n FROM src;"),
                "has 2",
            ),
            (format!("{TABLES}SELECT * FROM src;"), "SELECT"),
            (format!("{TABLES}INSERT INTO out SELECT nope FROM src;"), "nope"),
            ("INSERT INTO missing SELECT 1;".to_string(), "missing"),
            // Updates into an append-only sink: Flink's planning error at submission.
            (
                format!(
                    "{TABLES}CREATE TABLE files (n BIGINT) WITH ('connector' = 'filesystem', \
                     'path' = '/nonexistent', 'format' = 'json');\
                     INSERT INTO files SELECT COUNT(*) FROM src;"
                ),
                "doesn't support consuming update changes",
            ),
            ("CREATE TABLE (".to_string(), "parse"),
        ] {
            match check(&sql, None) {
                Err(ServerError::BadRequest(m)) => assert!(m.contains(why), "{why}: {m}"),
                other => panic!("{sql}: {other:?}"),
            }
        }
    }
}
