//! [`TableAccess`]: the tables a statement reads and the tables it writes, views expanded, so
//! that a front end can check its caller's rights on each before the statement runs
//! (`spate server` checks Kafka tables against the broker's ACLs).

use crate::ast::{Statement, TableDef};
use crate::catalog::Catalog;
use crate::error::Result;
use crate::plan::{LogicalPlan, bind_query, plan_inserts};

/// The base tables one statement touches, each once, in the order first met.
#[derive(Debug, Clone, Default)]
pub struct TableAccess {
    /// Tables whose rows the statement reads (`FROM`, joins, views' tables).
    pub reads: Vec<TableDef>,
    /// Tables the statement writes (`INSERT INTO` targets).
    pub writes: Vec<TableDef>,
}

/// What `stmt` reads and writes against `catalog`: an `INSERT`, a statement set or a query
/// (through `EXPLAIN` too); other statements touch no table's rows. Binding errors are the
/// statement's planning errors.
pub fn table_access(catalog: &Catalog, stmt: &Statement) -> Result<TableAccess> {
    let mut access = TableAccess::default();
    match stmt {
        Statement::Select(q) => scans(&bind_query(q, catalog)?, &mut access.reads),
        Statement::Insert(_) | Statement::StatementSet(_) => {
            let inserts = match stmt {
                Statement::Insert(i) => std::slice::from_ref(i),
                Statement::StatementSet(set) => set.as_slice(),
                _ => &[],
            };
            for (target, plan) in plan_inserts(catalog, inserts)? {
                add(&mut access.writes, &target);
                scans(&plan, &mut access.reads);
            }
        }
        Statement::Explain(e) => return table_access(catalog, &e.statement),
        _ => {}
    }
    Ok(access)
}

fn add(tables: &mut Vec<TableDef>, table: &TableDef) {
    if !tables.iter().any(|t| t.name == table.name) {
        tables.push(table.clone());
    }
}

/// Every scanned table of `plan` (a loop, not recursion: plans may be deep).
fn scans(plan: &LogicalPlan, into: &mut Vec<TableDef>) {
    let mut pending = vec![plan];
    while let Some(node) = pending.pop() {
        if let LogicalPlan::Scan { table, .. } = node {
            add(into, table);
        }
        pending.extend(node.inputs().into_iter().rev());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(ddl: &str) -> Catalog {
        let mut catalog = Catalog::new();
        for stmt in crate::parse(ddl).unwrap() {
            catalog.apply(&stmt).unwrap();
        }
        catalog
    }

    fn names(tables: &[TableDef]) -> Vec<String> {
        tables.iter().map(|t| t.name.base().to_string()).collect()
    }

    #[test]
    fn inserts_read_their_sources_through_views_and_write_their_targets() {
        let c = catalog(
            "CREATE TABLE a (n INT) WITH ('connector' = 'datagen');
             CREATE TABLE b (n INT) WITH ('connector' = 'datagen');
             CREATE TABLE unused (n INT) WITH ('connector' = 'datagen');
             CREATE TABLE out1 (n INT) WITH ('connector' = 'blackhole');
             CREATE TABLE out2 (n INT) WITH ('connector' = 'blackhole');
             CREATE VIEW v AS SELECT n FROM b WHERE n > 0;",
        );
        let stmt = &crate::parse(
            "EXECUTE STATEMENT SET BEGIN
               INSERT INTO out1 SELECT n FROM a UNION ALL SELECT n FROM v;
               INSERT INTO out2 SELECT a.n FROM a JOIN v ON a.n = v.n;
             END;",
        )
        .unwrap()[0];
        let access = table_access(&c, stmt).unwrap();
        assert_eq!(names(&access.reads), ["a", "b"]);
        assert_eq!(names(&access.writes), ["out1", "out2"]);
        let query = &crate::parse("SELECT * FROM v").unwrap()[0];
        let access = table_access(&c, query).unwrap();
        assert_eq!(names(&access.reads), ["b"]);
        assert!(access.writes.is_empty());
        let bad = &crate::parse("SELECT * FROM nowhere").unwrap()[0];
        assert!(table_access(&c, bad).is_err());
    }
}
