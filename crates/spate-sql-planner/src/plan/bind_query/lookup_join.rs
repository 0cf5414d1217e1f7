//! Lookup joins: `FROM l [LEFT] JOIN d FOR SYSTEM_TIME AS OF l.proc_time ON l.k = d.k` where
//! `d` is a lookup table (Flink's `LookupJoin`, from its rule that turns a processing-time
//! temporal join against a `LookupTableSource` into one). The lookup keys are the `ON`
//! equalities between a column of `d` and an expression over `l`; the rest of `ON` filters the
//! rows each lookup finds. Flink's messages where it refuses one.

use super::join::{Side, and_all, side_of, split_and};
use super::*;
use crate::ident::Loc;

/// Connectors whose tables answer lookups (Spate's lookup table sources).
const LOOKUP_CONNECTORS: &[&str] = &["jdbc"];

/// Whether `r` reads a lookup table directly (its scan, maybe renamed by an alias).
pub(super) fn is_lookup_source(r: &LogicalPlan) -> bool {
    match r {
        LogicalPlan::Scan { table, .. } => table
            .option("connector")
            .is_some_and(|c| LOOKUP_CONNECTORS.iter().any(|l| c.eq_ignore_ascii_case(l))),
        _ => false,
    }
}

impl Binder<'_> {
    /// Joins `l` with the lookup table scanned by `r` (see the module docs).
    pub(super) fn lookup_join(
        &mut self,
        l: LogicalPlan,
        r: LogicalPlan,
        kind: JoinKind,
        on: Option<&Expr>,
        loc: &Loc,
    ) -> Result<LogicalPlan> {
        let table = match &r {
            LogicalPlan::Scan { table, computed, .. } => {
                if !computed.is_empty() {
                    return Err(SqlError::validation(
                        format!(
                            "the lookup table {} has computed columns, which lookup joins do not support yet",
                            table.name
                        ),
                        loc.pos(),
                    ));
                }
                table.name.base().to_string()
            }
            _ => {
                return Err(SqlError::validation(
                    "internal error: a lookup join over something else than a table",
                    loc.pos(),
                ));
            }
        };
        let lw = l.schema().fields.len();
        let mut fields = l.schema().fields.clone();
        fields.extend(r.schema().fields.iter().cloned().map(|mut f| {
            f.time = None;
            f.ty.nullable |= kind == JoinKind::Left;
            f
        }));
        let combined = Schema { fields };
        let scope = RelScope { schema: &combined };
        let mut conjuncts = Vec::new();
        if let Some(on) = on {
            split_and(on, &mut conjuncts);
        }
        let mut keys: Vec<(BoundExpr, BoundExpr)> = Vec::new();
        let mut residual: Vec<BoundExpr> = Vec::new();
        for c in conjuncts {
            let b = expr::bind(c, &scope)?;
            expect_boolean(&b, "ON")?;
            if let Expr::Binary {
                left: a,
                op: ast::BinaryOp::Eq,
                right: bx,
            } = c.without_parentheses()
                && let Some(pair) = lookup_key(&expr::bind(a, &scope)?, &expr::bind(bx, &scope)?, lw)?
            {
                keys.push(pair);
                continue;
            }
            residual.push(b);
        }
        if keys.is_empty() {
            return Err(SqlError::validation(
                format!(
                    "Temporal table join requires an equality condition on fields of table [default_catalog.default_database.{table}]."
                ),
                loc.pos(),
            ));
        }
        Ok(LogicalPlan::LookupJoin {
            left: Box::new(l),
            right: Box::new(r),
            keys,
            condition: and_all(residual),
            kind,
            schema: combined,
        })
    }
}

/// `a = b` as a lookup key: a bare column of the table and an expression over the left row (or
/// a constant), the left one cast to the column's type when they differ only so far as an
/// implicit cast goes; `None` otherwise (the equality is then applied after the lookup).
fn lookup_key(a: &BoundExpr, b: &BoundExpr, lw: usize) -> Result<Option<(BoundExpr, BoundExpr)>> {
    let (probe, column) = match (side_of(a, lw), b.as_column()) {
        (Side::Left | Side::Neither, Some(c)) if c >= lw => (a, b),
        _ => match (side_of(b, lw), a.as_column()) {
            (Side::Left | Side::Neither, Some(c)) if c >= lw => (b, a),
            _ => return Ok(None),
        },
    };
    let common = expr::common_type([probe.ty(), column.ty()].into_iter(), "join key")?;
    if common.kind != column.ty().kind {
        return Ok(None);
    }
    let column = column.clone().map_columns(&|i| i - lw);
    Ok(Some((expr::coerce(probe.clone(), &common), column)))
}
