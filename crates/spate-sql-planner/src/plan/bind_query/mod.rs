//! [`bind_query`]: a parsed query → a [`LogicalPlan`], resolving names against the catalog, the
//! query's `WITH` items and views. This file holds the binder and the query's skeleton (`WITH`,
//! set operations, `FROM` items, `SELECT`); each kind of plan node it builds has a file of its
//! own: `scan.rs`, `select_list.rs` (projections), `window.rs` (window table functions),
//! `group_by.rs` (window aggregates), `join.rs`, `union.rs`. A new operator's binding goes in a
//! new file beside them.

mod group_by;
mod grouping_sets;
mod join;
mod lookup_join;
mod over;
mod scan;
mod select_list;
mod sort_limit;
mod state_ttl;
mod temporal_join;
mod top_n;
mod union;
mod window;

use self::group_by::*;
use self::scan::*;
use self::select_list::*;
use self::union::*;
use self::window::*;

use super::Rowtime;
use crate::ast::{
    self, ColumnKind, Expr, JoinKind, Query, Select, SelectItem, SetExpr, SetOp, TableAlias, TableDef,
    TableRef, WindowKind, WindowTvf,
};
use crate::catalog::{Catalog, Relation};
use crate::error::{Result, SqlError};
use crate::expr::{self, BoundExpr, Scope};
use crate::ident::{Ident, ObjectName};
use crate::types::{DataType, TypeKind};

use super::aggregate::{self, AggCall, AggKind};
use super::budget::{Budget, MAX_NESTING, PlanSize, check_depth, measure};
use super::rel_scope::{RelScope, expect_boolean};
use super::unnest::bind_unnest;
use super::{Field, LogicalPlan, Schema, TimeAttr, WindowProperty, WindowSpec};

/// Binds `query` against `catalog`.
pub fn bind_query(query: &Query, catalog: &Catalog) -> Result<LogicalPlan> {
    bind_with(query, catalog, true)
}

/// Checks a view's `query` against `catalog` (`CREATE VIEW`, `DESCRIBE`) as Flink validates it
/// there: without planning its `ORDER BY` (a sort Flink refuses fails only where the view is
/// read, as its top query then).
pub fn bind_view_query(query: &Query, catalog: &Catalog) -> Result<LogicalPlan> {
    bind_with(query, catalog, false)
}

fn bind_with(query: &Query, catalog: &Catalog, top: bool) -> Result<LogicalPlan> {
    crate::expr::udf::with_functions(catalog.functions(), || {
        let plan = Binder {
            catalog,
            ctes: Vec::new(),
            depth: 0,
            top,
            budget: Budget::default(),
        }
        .query(query)?;
        check_depth(measure(&plan), "the query")?;
        over::check_ranking_over(&plan)?;
        plan.check_changelog_inputs()?;
        Ok(plan)
    })
}

struct Binder<'a> {
    catalog: &'a Catalog,
    /// The `WITH` items in scope: name, plan, and its size (each use copies it).
    ctes: Vec<(String, LogicalPlan, PlanSize)>,
    /// How many subqueries, views and joins are being bound inside each other.
    depth: usize,
    /// Whether the next query bound is a top query (the statement's or a view's): Flink expands
    /// a view as a top query, so its `ORDER BY` stays; in a subquery or `WITH` item Calcite drops
    /// an `ORDER BY` without `LIMIT` or `OFFSET`.
    top: bool,
    /// What the statement has built so far (see [`super::budget`]).
    budget: Budget,
}

fn unsupported(what: impl Into<String>, at: Option<&Ident>) -> SqlError {
    SqlError::not_yet_in_streaming(what, at.and_then(|i| i.loc.pos()))
}

impl Binder<'_> {
    /// Enters one more level of nesting (see [`super::budget`]); [`Self::leave`] undoes it.
    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(SqlError::validation(
                format!("subqueries, views and joins nest too deeply (more than {MAX_NESTING} levels)"),
                None,
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn query(&mut self, q: &Query) -> Result<LogicalPlan> {
        // Its `WITH` items and subqueries are not top queries.
        let top = std::mem::take(&mut self.top);
        self.enter()?;
        let saved = self.ctes.len();
        for cte in &q.with {
            let mut plan = self.query(&cte.query)?;
            rename_columns(&mut plan, &cte.columns)?;
            requalify(&mut plan, Some(cte.name.as_str()));
            let size = measure(&plan);
            check_depth(size, &format!("WITH item {}", cte.name))?;
            self.ctes.push((cte.name.value.clone(), plan, size));
        }
        let plan = self.set_expr(&q.body).and_then(|plan| {
            let cut = q.limit.is_some() || q.offset.is_some();
            if (q.order_by.is_empty() || !top) && !cut {
                Ok(plan)
            } else {
                self.sort_limit(plan, &q.order_by, q.limit.as_ref(), q.offset.as_ref())
            }
        });
        self.ctes.truncate(saved);
        self.leave();
        let plan = plan?;
        self.budget.charge(1, plan.schema().fields.len())?;
        Ok(plan)
    }

    fn set_expr(&mut self, s: &SetExpr) -> Result<LogicalPlan> {
        match s {
            SetExpr::Select(sel) => self.select(sel),
            SetExpr::Query(q) => self.query(q),
            SetExpr::SetOp {
                op: SetOp::Union,
                all: true,
                ..
            } => {
                // A chain of UNION ALLs nests to the left one level per branch: walked as a
                // list, so thousands of branches take no stack.
                let mut branches = Vec::new();
                let mut rest = s;
                while let SetExpr::SetOp {
                    op: SetOp::Union,
                    all: true,
                    left,
                    right,
                } = rest
                {
                    branches.push(right.as_ref());
                    rest = left;
                }
                let mut plan = self.set_expr(rest)?;
                for branch in branches.into_iter().rev() {
                    let r = self.set_expr(branch)?;
                    plan = union(plan, r)?;
                    self.budget.charge(0, plan.schema().fields.len())?;
                }
                Ok(plan)
            }
            SetExpr::SetOp { op, all, .. } => Err(unsupported(
                format!(
                    "{}{} (only UNION ALL is)",
                    match op {
                        SetOp::Union => "UNION",
                        SetOp::Intersect => "INTERSECT",
                        SetOp::Except => "EXCEPT",
                    },
                    if *all { " ALL" } else { "" }
                ),
                None,
            )),
            SetExpr::Values(rows) => {
                let empty = EmptyScope;
                let mut bound = Vec::with_capacity(rows.len());
                for row in rows {
                    bound.push(
                        row.iter()
                            .map(|e| expr::bind(e, &empty))
                            .collect::<Result<Vec<_>>>()?,
                    );
                }
                let width = bound.first().map_or(0, Vec::len);
                if bound.iter().any(|r| r.len() != width) {
                    return Err(SqlError::validation(
                        "VALUES rows have different numbers of columns",
                        None,
                    ));
                }
                let mut fields = Vec::with_capacity(width);
                for i in 0..width {
                    let ty = expr::common_type(bound.iter().map(|r| r[i].ty()), "VALUES")?;
                    fields.push(Field::new(format!("EXPR${i}"), ty));
                }
                for row in &mut bound {
                    for (i, e) in row.iter_mut().enumerate() {
                        *e = expr::coerce(e.clone(), &fields[i].ty);
                    }
                }
                Ok(LogicalPlan::Values {
                    rows: bound,
                    schema: Schema { fields },
                })
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // FROM

    /// A table read with `/*+ OPTIONS(..) */`: its `WITH` options with the hint's over them,
    /// checked as `CREATE TABLE` checks them (Flink's dynamic table options). Only a table
    /// takes them, as in Flink.
    fn hinted_table(
        &mut self,
        name: &ObjectName,
        options: &[(String, String)],
        loc: &crate::ident::Loc,
    ) -> Result<LogicalPlan> {
        let not_a_table = || {
            SqlError::validation(
                format!(
                    "View '{name}' cannot be enriched with new options. Hints can only be applied to tables."
                ),
                loc.pos(),
            )
        };
        if name.0.len() == 1 && self.ctes.iter().any(|(n, ..)| n == name.base()) {
            return Err(not_a_table());
        }
        let Relation::Table(t) = self.catalog.resolve(name)? else {
            return Err(not_a_table());
        };
        let mut table = t.clone();
        for (key, value) in options {
            table.options.retain(|o| o.key != *key);
            table.options.push(crate::ast::TableOption {
                key: key.clone(),
                value: value.clone(),
                loc: *loc,
            });
        }
        crate::catalog::validate_table(&table)?;
        let plan = scan(&table)?;
        self.budget.charge(1, plan.schema().fields.len())?;
        Ok(plan)
    }

    fn relation(&mut self, name: &ObjectName) -> Result<LogicalPlan> {
        if name.0.len() == 1
            && let Some((_, plan, size)) = self.ctes.iter().rev().find(|(n, ..)| n == name.base())
        {
            self.budget.charge_copy(*size)?;
            return Ok(plan.clone());
        }
        match self.catalog.resolve(name)? {
            Relation::Table(t) => {
                let plan = scan(t)?;
                self.budget.charge(1, plan.schema().fields.len())?;
                Ok(plan)
            }
            Relation::View(v) => {
                // Bound in place (it sees none of this query's WITH items), sharing this
                // statement's nesting and budget: views that each read the one before, or
                // read it twice, are counted in full.
                self.enter()?;
                let mut inner = Binder {
                    catalog: self.catalog,
                    ctes: Vec::new(),
                    depth: self.depth,
                    top: true,
                    budget: std::mem::take(&mut self.budget),
                };
                let plan = inner.query(&v.query);
                self.budget = inner.budget;
                self.leave();
                let mut plan = plan?;
                check_depth(measure(&plan), &format!("view {name}"))?;
                rename_columns(&mut plan, &v.columns)?;
                Ok(plan)
            }
        }
    }

    fn table_ref(&mut self, t: &TableRef) -> Result<LogicalPlan> {
        match t {
            TableRef::Table {
                name,
                alias,
                options,
                loc,
            } => {
                let mut plan = if options.is_empty() {
                    self.relation(name)?
                } else {
                    self.hinted_table(name, options, loc)?
                };
                apply_alias(&mut plan, alias.as_ref(), Some(name.base()))?;
                Ok(plan)
            }
            // Outside a join's right side: a version of the table at a time (time travel).
            TableRef::Versioned { loc, .. } => Err(SqlError::validation(
                "Temporal table join only support apply FOR SYSTEM_TIME AS OF on the right table.",
                loc.pos(),
            )),
            TableRef::Derived { query, alias } => {
                let mut plan = self.query(query)?;
                apply_alias(&mut plan, alias.as_ref(), None)?;
                Ok(plan)
            }
            TableRef::Window { tvf, alias } => {
                let mut plan = self.window_tvf(tvf)?;
                apply_alias(&mut plan, alias.as_ref(), None)?;
                Ok(plan)
            }
            // Uncorrelated, on its own: the elements of a constant collection (Flink's too).
            TableRef::Unnest { .. } => {
                let one_empty_row = LogicalPlan::Values {
                    rows: vec![vec![]],
                    schema: Schema::default(),
                };
                bind_unnest(one_empty_row, t, JoinKind::Cross, None)
            }
            TableRef::Join {
                left,
                right,
                kind,
                on,
            } => self.join(left, right, *kind, on.as_ref()),
        }
    }

    // -----------------------------------------------------------------------------------------
    // SELECT

    fn select(&mut self, s: &Select) -> Result<LogicalPlan> {
        let mut plan = self.select_unhinted(s)?;
        if !s.state_ttl.is_empty() {
            state_ttl::apply(s, &mut plan)?;
        }
        Ok(plan)
    }

    fn select_unhinted(&mut self, s: &Select) -> Result<LogicalPlan> {
        if s.distinct {
            // Flink plans `SELECT DISTINCT` as a GroupAggregate grouping by every column.
            let all = self.select_unhinted(&Select {
                distinct: false,
                ..s.clone()
            })?;
            return Ok(distinct(all));
        }
        let (mut input, selection) = match s.from.as_slice() {
            [] => (
                LogicalPlan::Values {
                    rows: vec![vec![]],
                    schema: Schema::default(),
                },
                s.selection.clone(),
            ),
            [one] => (self.table_ref(one)?, s.selection.clone()),
            // `FROM t, UNNEST(t.a)`: a cross join of each row with its elements.
            [first, rest @ ..] if rest.iter().all(|r| matches!(r, TableRef::Unnest { .. })) => {
                let mut plan = self.table_ref(first)?;
                for r in rest {
                    plan = bind_unnest(plan, r, JoinKind::Cross, None)?;
                }
                (plan, s.selection.clone())
            }
            many => {
                let (plan, left_over) = self.comma_join(many, s.selection.as_ref())?;
                let rest = left_over.into_iter().cloned().reduce(|a, b| Expr::Binary {
                    left: Box::new(a),
                    op: ast::BinaryOp::And,
                    right: Box::new(b),
                });
                (plan, rest)
            }
        };
        if let Some(w) = &selection {
            let scope = RelScope {
                schema: input.schema(),
            };
            let predicate = expr::bind(w, &scope)?;
            expect_boolean(&predicate, "WHERE")?;
            input = match input {
                // Flink pushes a filter over an upsert source into its normalization.
                LogicalPlan::ChangelogNormalize {
                    input,
                    keys,
                    condition: None,
                } => LogicalPlan::ChangelogNormalize {
                    input,
                    keys,
                    condition: Some(predicate),
                },
                other => LogicalPlan::Filter {
                    input: Box::new(other),
                    predicate,
                },
            };
        }
        if over::has_over(&s.projection) {
            if !s.group_by.is_empty() || s.having.is_some() {
                return Err(unsupported("window functions (OVER) in a grouped SELECT", None));
            }
            let (input, items) = over::bind_over(input, s)?;
            return over::hide_over_columns(project(input, &items)?);
        }
        let mut aggs = Vec::new();
        for item in &s.projection {
            if let SelectItem::Expr { expr, .. } = item {
                collect_aggregates(expr, &mut aggs);
            }
        }
        if let Some(h) = &s.having {
            collect_aggregates(h, &mut aggs);
        }
        if s.group_by.is_empty() && aggs.is_empty() {
            if s.having.is_some() {
                return Err(SqlError::validation(
                    "HAVING without GROUP BY or aggregates",
                    None,
                ));
            }
            return top_n::top_n(project(input, &s.projection)?);
        }
        self.grouped(input, s, aggs)
    }
}

/// `SELECT DISTINCT`: a `GroupAggregate` keyed by every column of `plan`, with no aggregates
/// (as Flink's `GroupAggregate(groupBy=[a, b], select=[a, b])`); time attributes do not survive.
fn distinct(plan: LogicalPlan) -> LogicalPlan {
    let fields: Vec<Field> = plan
        .schema()
        .fields
        .iter()
        .map(|f| Field {
            time: None,
            ..f.clone()
        })
        .collect();
    let keys = fields
        .iter()
        .enumerate()
        .map(|(index, f)| BoundExpr::Column {
            index,
            ty: f.ty.clone(),
        })
        .collect();
    LogicalPlan::GroupAggregate {
        input: Box::new(plan),
        keys,
        aggs: Vec::new(),
        agg_names: Vec::new(),
        schema: Schema { fields },
        state_ttl: None,
    }
}

fn positive(ms: i64, what: &str) -> Result<i64> {
    if ms > 0 {
        Ok(ms)
    } else {
        Err(SqlError::validation(
            format!("{what} must be a positive interval"),
            None,
        ))
    }
}

fn constant_interval(e: &Expr, what: &str) -> Result<i64> {
    let b = expr::bind(e, &EmptyScope)?;
    crate::expr::interval_millis(&b).ok_or_else(|| {
        SqlError::validation(
            format!("{what}: expected a constant day-time INTERVAL such as INTERVAL '10' SECOND, found {e}"),
            None,
        )
    })
}

fn column_index(schema: &Schema, name: &Ident) -> Result<usize> {
    RelScope { schema }.resolve(std::slice::from_ref(name))
}

fn apply_alias(plan: &mut LogicalPlan, alias: Option<&TableAlias>, default: Option<&str>) -> Result<()> {
    if let Some(a) = alias {
        rename_columns(plan, &a.columns)?;
    }
    requalify(plan, alias.map(|a| a.name.as_str()).or(default));
    Ok(())
}

fn schema_mut(plan: &mut LogicalPlan) -> &mut Schema {
    match plan {
        LogicalPlan::Filter { input, .. }
        | LogicalPlan::ChangelogNormalize { input, .. }
        | LogicalPlan::Deduplicate { input, .. }
        | LogicalPlan::TemporalSort { input, .. }
        | LogicalPlan::SinkMaterialize { input, .. } => schema_mut(input),
        LogicalPlan::Scan { schema, .. }
        | LogicalPlan::Values { schema, .. }
        | LogicalPlan::Project { schema, .. }
        | LogicalPlan::Expand { schema, .. }
        | LogicalPlan::WindowAssign { schema, .. }
        | LogicalPlan::WindowAggregate { schema, .. }
        | LogicalPlan::AttachedWindowAggregate { schema, .. }
        | LogicalPlan::GroupAggregate { schema, .. }
        | LogicalPlan::Union { schema, .. }
        | LogicalPlan::Unnest { schema, .. }
        | LogicalPlan::WindowJoin { schema, .. }
        | LogicalPlan::RegularJoin { schema, .. }
        | LogicalPlan::TemporalJoin { schema, .. }
        | LogicalPlan::LookupJoin { schema, .. }
        | LogicalPlan::Over { schema, .. }
        | LogicalPlan::Rank { schema, .. }
        | LogicalPlan::IntervalJoin { schema, .. } => schema,
    }
}

fn requalify(plan: &mut LogicalPlan, qualifier: Option<&str>) {
    for f in &mut schema_mut(plan).fields {
        f.qualifier = qualifier.map(str::to_string);
    }
}

fn rename_columns(plan: &mut LogicalPlan, names: &[Ident]) -> Result<()> {
    if names.is_empty() {
        return Ok(());
    }
    let schema = schema_mut(plan);
    if names.len() != schema.fields.len() {
        return Err(SqlError::validation(
            format!(
                "{} column names given for {} columns",
                names.len(),
                schema.fields.len()
            ),
            names.first().and_then(|i| i.loc.pos()),
        ));
    }
    for (f, n) in schema.fields.iter_mut().zip(names) {
        f.name = n.value.clone();
    }
    Ok(())
}
