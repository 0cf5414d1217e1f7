//! [`bind_query`]: a parsed query → a [`LogicalPlan`], resolving names against the catalog, the
//! query's `WITH` items and views.

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
    crate::expr::udf::with_functions(catalog.functions(), || {
        let plan = Binder {
            catalog,
            ctes: Vec::new(),
            depth: 0,
            budget: Budget::default(),
        }
        .query(query)?;
        check_depth(measure(&plan), "the query")?;
        Ok(plan)
    })
}

struct Binder<'a> {
    catalog: &'a Catalog,
    /// The `WITH` items in scope: name, plan, and its size (each use copies it).
    ctes: Vec<(String, LogicalPlan, PlanSize)>,
    /// How many subqueries, views and joins are being bound inside each other.
    depth: usize,
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
        if !q.order_by.is_empty() {
            return Err(unsupported(
                "ORDER BY (Flink allows only ORDER BY on a time attribute, ascending)",
                None,
            ));
        }
        if q.limit.is_some() {
            return Err(unsupported("LIMIT", None));
        }
        let plan = self.set_expr(&q.body);
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
            TableRef::Table { name, alias, .. } => {
                let mut plan = self.relation(name)?;
                apply_alias(&mut plan, alias.as_ref(), Some(name.base()))?;
                Ok(plan)
            }
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

    fn window_tvf(&mut self, tvf: &WindowTvf) -> Result<LogicalPlan> {
        let mut input = self.relation(&tvf.table)?;
        requalify(&mut input, None);
        let schema = input.schema().clone();
        let time_col = column_index(&schema, &tvf.time_col)?;
        let field = &schema.fields[time_col];
        let event_time = match field.time {
            Some(TimeAttr::Rowtime) => true,
            Some(TimeAttr::Proctime) => false,
            None => {
                return Err(SqlError::validation(
                    format!(
                        "the window function {}'s time column '{}' must be a time attribute (a WATERMARK FOR column or PROCTIME()), but it is a plain {}",
                        tvf.kind.function_name(),
                        field.name,
                        field.ty
                    ),
                    tvf.time_col.loc.pos(),
                ));
            }
        };
        let interval = |e: &Expr| -> Result<i64> { constant_interval(e, tvf.kind.function_name()) };
        let offset = |o: &Option<Expr>| -> Result<i64> {
            o.as_ref().map(interval).transpose().map(|v| v.unwrap_or(0))
        };
        let window = match &tvf.kind {
            WindowKind::Tumble { size, offset: o } => WindowSpec::Tumble {
                size: positive(interval(size)?, "TUMBLE size")?,
                offset: offset(o)?,
            },
            WindowKind::Hop {
                slide,
                size,
                offset: o,
            } => {
                let slide = positive(interval(slide)?, "HOP slide")?;
                let size = positive(interval(size)?, "HOP size")?;
                if size % slide != 0 {
                    return Err(SqlError::validation(
                        "HOP: the window size must be an integral multiple of the slide (Flink's rule)",
                        tvf.loc.pos(),
                    ));
                }
                WindowSpec::Hop {
                    slide,
                    size,
                    offset: offset(o)?,
                }
            }
            WindowKind::Cumulate {
                step,
                size,
                offset: o,
            } => {
                let step = positive(interval(step)?, "CUMULATE step")?;
                let size = positive(interval(size)?, "CUMULATE size")?;
                if size % step != 0 {
                    return Err(SqlError::validation(
                        "CUMULATE: the max window size must be an integral multiple of the step (Flink's rule)",
                        tvf.loc.pos(),
                    ));
                }
                WindowSpec::Cumulate {
                    step,
                    size,
                    offset: offset(o)?,
                }
            }
            WindowKind::Session { gap } => WindowSpec::Session {
                gap: positive(interval(gap)?, "SESSION gap")?,
            },
        };
        if !tvf.partition_by.is_empty() {
            for p in &tvf.partition_by {
                column_index(&schema, p)?;
            }
        }
        let mut fields = schema.fields.clone();
        let time_kind = window_timestamp_kind(&field.ty);
        for (name, time) in [
            ("window_start", None),
            ("window_end", None),
            ("window_time", Some(TimeAttr::Rowtime)),
        ] {
            let kind = if time.is_some() {
                time_kind.clone()
            } else {
                TypeKind::Timestamp(3)
            };
            let mut f = Field::new(name, DataType::new(kind).not_null());
            f.time = if event_time { time } else { None };
            fields.push(f);
        }
        // The input's own rowtime stops being one after window assignment (Flink keeps only
        // window_time).
        for f in fields.iter_mut().take(schema.fields.len()) {
            if f.time == Some(TimeAttr::Rowtime) {
                f.time = None;
            }
        }
        Ok(LogicalPlan::WindowAssign {
            input: Box::new(input),
            window,
            time_col,
            event_time,
            schema: Schema { fields },
        })
    }

    fn join(
        &mut self,
        left: &TableRef,
        right: &TableRef,
        kind: JoinKind,
        on: Option<&Expr>,
    ) -> Result<LogicalPlan> {
        self.enter()?;
        let joined = self.join_inputs(left, right, kind, on);
        self.leave();
        let joined = joined?;
        self.budget.charge(1, joined.schema().fields.len())?;
        Ok(joined)
    }

    fn join_inputs(
        &mut self,
        left: &TableRef,
        right: &TableRef,
        kind: JoinKind,
        on: Option<&Expr>,
    ) -> Result<LogicalPlan> {
        let l = self.table_ref(left)?;
        if matches!(right, TableRef::Unnest { .. }) {
            return bind_unnest(l, right, kind, on);
        }
        let r = self.table_ref(right)?;
        let lw = l.schema().fields.len();
        let mut fields = l.schema().fields.clone();
        fields.extend(r.schema().fields.iter().cloned());
        for (i, f) in fields.iter_mut().enumerate() {
            let padded = if i < lw {
                matches!(kind, JoinKind::Right | JoinKind::Full)
            } else {
                matches!(kind, JoinKind::Left | JoinKind::Full)
            };
            if padded {
                f.ty.nullable = true;
            }
        }
        let combined = Schema { fields };
        let Some(on) = on else {
            return Err(unsupported("CROSS JOIN and joins without ON", None));
        };
        let scope = RelScope { schema: &combined };
        let mut conjuncts = Vec::new();
        split_and(on, &mut conjuncts);
        let mut keys: Vec<(BoundExpr, BoundExpr)> = Vec::new();
        let mut residual: Vec<BoundExpr> = Vec::new();
        let mut bounds = TimeBounds::default();
        let rowtimes = (l.schema().rowtime(), r.schema().rowtime().map(|i| i + lw));
        for c in conjuncts {
            if let Expr::Binary {
                left: a,
                op: ast::BinaryOp::Eq,
                right: b,
            } = c.without_parentheses()
            {
                let ba = expr::bind(a, &scope)?;
                let bb = expr::bind(b, &scope)?;
                let pair = match (side_of(&ba, lw), side_of(&bb, lw)) {
                    (Side::Left, Side::Right) => Some((ba, bb)),
                    (Side::Right, Side::Left) => Some((bb, ba)),
                    _ => None,
                };
                if let Some((lk, rk)) = pair {
                    let common = expr::common_type([lk.ty(), rk.ty()].into_iter(), "join key")?;
                    let rk = expr::coerce(rk, &common).map_columns(&|i| i - lw);
                    keys.push((expr::coerce(lk, &common), rk));
                    continue;
                }
            }
            if bounds.absorb(c, &scope, rowtimes)? {
                continue;
            }
            let b = expr::bind(c, &scope)?;
            expect_boolean(&b, "ON")?;
            residual.push(b);
        }
        let condition = and_all(residual);
        // A window join: both sides are window TVFs of the same window, joined on window_start
        // and window_end.
        if let (Some(lwin), Some(rwin)) = (window_columns(&l), window_columns(&r)) {
            let joined_on = |a: usize, b: usize| {
                keys.iter()
                    .any(|(x, y)| x.as_column() == Some(a) && y.as_column() == Some(b))
            };
            if joined_on(lwin.start, rwin.start) && joined_on(lwin.end, rwin.end) {
                if lwin.spec != rwin.spec {
                    return Err(SqlError::validation(
                        format!(
                            "a window join needs the same window on both sides, found {} and {}",
                            lwin.spec, rwin.spec
                        ),
                        None,
                    ));
                }
                return Ok(LogicalPlan::WindowJoin {
                    left: Box::new(l),
                    right: Box::new(r),
                    window: lwin.spec,
                    time_cols: (lwin.end, rwin.end),
                    keys,
                    condition,
                    kind,
                    schema: combined,
                });
            }
        }
        if let (Some(lower), Some(upper), Some(lt), Some(rt)) =
            (bounds.lower, bounds.upper, rowtimes.0, rowtimes.1)
        {
            if lower > upper {
                return Err(SqlError::validation(
                    "the join's time bounds exclude every pair (lower > upper)",
                    None,
                ));
            }
            return Ok(LogicalPlan::IntervalJoin {
                left: Box::new(l),
                right: Box::new(r),
                keys,
                time_cols: (lt, rt - lw),
                bounds: (lower, upper),
                condition,
                kind,
                schema: combined,
            });
        }
        if kind == JoinKind::Inner && !keys.is_empty() {
            // Time attributes do not survive a regular join (Flink's rule).
            let mut schema = combined;
            for f in &mut schema.fields {
                f.time = None;
            }
            return Ok(LogicalPlan::RegularJoin {
                left: Box::new(l),
                right: Box::new(r),
                keys,
                condition,
                schema,
            });
        }
        Err(unsupported(
            "an outer or keyless regular join (an updating result; join windows of the same window TVF on window_start and window_end, or bound the rowtimes: r.ts BETWEEN l.ts - INTERVAL .. AND l.ts + INTERVAL ..)",
            None,
        ))
    }

    // -----------------------------------------------------------------------------------------
    // SELECT

    fn select(&mut self, s: &Select) -> Result<LogicalPlan> {
        if s.distinct {
            return Err(unsupported("SELECT DISTINCT (an updating result)", None));
        }
        let mut input = match s.from.as_slice() {
            [] => LogicalPlan::Values {
                rows: vec![vec![]],
                schema: Schema::default(),
            },
            [one] => self.table_ref(one)?,
            // `FROM t, UNNEST(t.a)`: a cross join of each row with its elements.
            [first, rest @ ..] if rest.iter().all(|r| matches!(r, TableRef::Unnest { .. })) => {
                let mut plan = self.table_ref(first)?;
                for r in rest {
                    plan = bind_unnest(plan, r, JoinKind::Cross, None)?;
                }
                plan
            }
            _ => return Err(unsupported("a comma join (write the join with JOIN .. ON)", None)),
        };
        if let Some(w) = &s.selection {
            let scope = RelScope {
                schema: input.schema(),
            };
            let predicate = expr::bind(w, &scope)?;
            expect_boolean(&predicate, "WHERE")?;
            input = LogicalPlan::Filter {
                input: Box::new(input),
                predicate,
            };
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
            return project(input, &s.projection);
        }
        self.grouped(input, s, aggs)
    }

    fn grouped(
        &mut self,
        input: LogicalPlan,
        s: &Select,
        agg_calls: Vec<ast::Function>,
    ) -> Result<LogicalPlan> {
        let in_schema = input.schema().clone();
        let scope = RelScope { schema: &in_schema };
        // Which group-by items are window properties, legacy group windows or keys.
        let mut key_exprs: Vec<&Expr> = Vec::new();
        let mut window_cols = Vec::new();
        let mut legacy: Option<(&ast::Function, WindowSpec, usize, bool)> = None;
        let attached = window_columns(&input);
        for g in &s.group_by {
            if let Expr::Function(f) = g.without_parentheses()
                && let Some(spec) = self.legacy_window(f, &in_schema)?
            {
                if legacy.is_some() {
                    return Err(SqlError::validation(
                        "more than one group window in GROUP BY",
                        None,
                    ));
                }
                legacy = Some((f, spec.0, spec.1, spec.2));
                continue;
            }
            let b = expr::bind(g, &scope)?;
            match b
                .as_column()
                .and_then(|i| attached.as_ref().and_then(|w| w.property(i)))
            {
                Some(p) => window_cols.push(p),
                None => key_exprs.push(g),
            }
        }
        // The windowed input: a window TVF (possibly filtered), a legacy group window, or rows
        // that carry the window of an earlier window aggregate.
        let (base, window, time_col, event_time, stripped) = match legacy {
            Some((_, spec, col, ev)) => (input, spec, col, ev, None),
            None if !is_window_assign(&input) => {
                return self.attached_aggregate(input, attached, &window_cols, s, key_exprs, agg_calls);
            }
            None => {
                if !(window_cols.contains(&WindowProperty::Start)
                    && window_cols.contains(&WindowProperty::End))
                {
                    return Err(unsupported(
                        "GROUP BY without a window (an updating aggregation; group by window_start and window_end of a window TVF, or a group window like TUMBLE(ts, INTERVAL ..))",
                        None,
                    ));
                }
                let s = strip_window_assign(input)?;
                (s.base, s.window, s.time_col, s.event_time, Some(s.at))
            }
        };
        let tvf_width = stripped.map(|at| at.0);
        let base_schema = base.schema().clone();
        // Keys and aggregate arguments are bound over the windowed rows; with a TVF they may
        // not read window columns (they are not there before assignment).
        let key_scope = RelScope { schema: &in_schema };
        // Checked over the windowed rows, then moved over the base rows.
        let pre_window = |e: BoundExpr, what: &str| -> Result<BoundExpr> {
            match stripped {
                Some(at) if at.reads_window(&e) => Err(unsupported(
                    format!("{what} over window columns other than the window itself"),
                    None,
                )),
                Some(at) => Ok(at.over_base(&e)),
                None => Ok(e),
            }
        };
        let mut keys = Vec::new();
        let mut key_fields = Vec::new();
        for (i, k) in key_exprs.iter().enumerate() {
            let b = expr::bind(k, &key_scope)?;
            let name = match (k.without_parentheses(), b.as_column()) {
                (Expr::Column(_), Some(c)) => in_schema.fields[c].name.clone(),
                _ => format!("$key{i}"),
            };
            let b = pre_window(b, "a GROUP BY key")?;
            key_fields.push(Field::new(name, b.ty().clone()));
            keys.push(b);
        }
        let mut aggs = Vec::new();
        for f in &agg_calls {
            let mut call = bind_aggregate(f, &key_scope)?;
            call.args = call
                .args
                .into_iter()
                .map(|a| pre_window(a, "an aggregate argument"))
                .collect::<Result<_>>()?;
            call.filter = call
                .filter
                .map(|fl| pre_window(fl, "an aggregate FILTER"))
                .transpose()?;
            aggs.push(call);
        }
        let time_kind = window_timestamp_kind(&base_schema.fields[time_col].ty);
        let properties = vec![WindowProperty::Start, WindowProperty::End, WindowProperty::Time];
        let mut fields = key_fields;
        for (name, p) in [
            ("window_start", WindowProperty::Start),
            ("window_end", WindowProperty::End),
            ("window_time", WindowProperty::Time),
        ] {
            let kind = if p == WindowProperty::Time {
                time_kind.clone()
            } else {
                TypeKind::Timestamp(3)
            };
            let mut f = Field::new(name, DataType::new(kind).not_null());
            if p == WindowProperty::Time && event_time {
                f.time = Some(TimeAttr::Rowtime);
            }
            fields.push(f);
        }
        for (i, a) in aggs.iter().enumerate() {
            fields.push(Field::new(format!("$agg{i}"), a.ty.clone()));
        }
        let n_keys = keys.len();
        let agg_plan = LogicalPlan::WindowAggregate {
            input: Box::new(base),
            window,
            time_col,
            event_time,
            keys,
            properties,
            aggs,
            group_window: legacy.is_some(),
            schema: Schema { fields },
        };
        // SELECT and HAVING over the aggregate's output.
        let out_scope = GroupedScope {
            input: &in_schema,
            output: agg_plan.schema(),
            key_exprs: &key_exprs,
            agg_calls: &agg_calls,
            n_keys,
            input_plan_props: &|i| property_of_tvf_column(tvf_width, i),
            legacy_name: legacy.map(|(f, ..)| f.name.base().to_ascii_uppercase()),
        };
        select_over_groups(agg_plan.clone(), s, &out_scope)
    }

    /// `GROUP BY window_start, window_end, ..` over rows that carry the window of an earlier
    /// window aggregate (Flink's cascading window aggregation): each window and key once, when
    /// the watermark passes the window's end.
    fn attached_aggregate(
        &mut self,
        input: LogicalPlan,
        attached: Option<WindowColumns>,
        window_cols: &[WindowProperty],
        s: &Select,
        key_exprs: Vec<&Expr>,
        agg_calls: Vec<ast::Function>,
    ) -> Result<LogicalPlan> {
        let Some(wc) = attached.filter(|_| {
            window_cols.contains(&WindowProperty::Start) && window_cols.contains(&WindowProperty::End)
        }) else {
            return Err(unsupported(
                "GROUP BY without a window (an updating aggregation; group by window_start and window_end of a window TVF, or a group window like TUMBLE(ts, INTERVAL ..))",
                None,
            ));
        };
        let in_schema = input.schema().clone();
        let scope = RelScope { schema: &in_schema };
        let mut keys = Vec::new();
        let mut fields = Vec::new();
        for (i, k) in key_exprs.iter().enumerate() {
            let b = expr::bind(k, &scope)?;
            let name = match (k.without_parentheses(), b.as_column()) {
                (Expr::Column(_), Some(c)) => in_schema.fields[c].name.clone(),
                _ => format!("$key{i}"),
            };
            fields.push(Field::new(name, b.ty().clone()));
            keys.push(b);
        }
        let aggs = agg_calls
            .iter()
            .map(|f| bind_aggregate(f, &scope))
            .collect::<Result<Vec<_>>>()?;
        // Windows over a TIMESTAMP_LTZ attribute have local bounds and an instant for
        // `window_time`; the translator reads the kind to fire at the bounds' instants.
        let time_kind = if wc.local {
            TypeKind::TimestampLtz(3)
        } else {
            TypeKind::Timestamp(3)
        };
        for name in ["window_start", "window_end", "window_time"] {
            let kind = if name == "window_time" {
                time_kind.clone()
            } else {
                TypeKind::Timestamp(3)
            };
            let mut f = Field::new(name, DataType::new(kind).not_null());
            if name == "window_time" {
                f.time = Some(TimeAttr::Rowtime);
            }
            fields.push(f);
        }
        for (i, a) in aggs.iter().enumerate() {
            fields.push(Field::new(format!("$agg{i}"), a.ty.clone()));
        }
        let n_keys = keys.len();
        let agg_plan = LogicalPlan::AttachedWindowAggregate {
            input: Box::new(input),
            window: wc.spec,
            start: wc.start,
            end: wc.end,
            keys,
            aggs,
            schema: Schema { fields },
        };
        let props = |i: usize| wc.property(i);
        let out_scope = GroupedScope {
            input: &in_schema,
            output: agg_plan.schema(),
            key_exprs: &key_exprs,
            agg_calls: &agg_calls,
            n_keys,
            input_plan_props: &props,
            legacy_name: None,
        };
        select_over_groups(agg_plan.clone(), s, &out_scope)
    }

    /// `TUMBLE(ts, size)`, `HOP(ts, slide, size)`, `SESSION(ts, gap)` in a GROUP BY.
    fn legacy_window(&self, f: &ast::Function, schema: &Schema) -> Result<Option<(WindowSpec, usize, bool)>> {
        let name = f.name.base().to_ascii_uppercase();
        if !matches!(name.as_str(), "TUMBLE" | "HOP" | "SESSION") || f.name.0.len() != 1 {
            return Ok(None);
        }
        let at = f.name.0.first();
        let Some(Expr::Column(path)) = f.args.first().map(Expr::without_parentheses) else {
            return Err(SqlError::validation(
                format!("{name}: the first argument must be a time attribute column"),
                at.and_then(|i| i.loc.pos()),
            ));
        };
        let col = RelScope { schema }.resolve(path)?;
        let event_time = match schema.fields[col].time {
            Some(TimeAttr::Rowtime) => true,
            Some(TimeAttr::Proctime) => false,
            None => {
                return Err(SqlError::validation(
                    format!("{name}: '{}' is not a time attribute", schema.fields[col].name),
                    at.and_then(|i| i.loc.pos()),
                ));
            }
        };
        let iv = |i: usize| -> Result<i64> {
            let e = f.args.get(i).ok_or_else(|| {
                SqlError::validation(
                    format!("{name}: missing interval argument"),
                    at.and_then(|i| i.loc.pos()),
                )
            })?;
            positive(constant_interval(e, &name)?, &name)
        };
        let spec = match (name.as_str(), f.args.len()) {
            ("TUMBLE", 2 | 3) => WindowSpec::Tumble {
                size: iv(1)?,
                offset: if f.args.len() == 3 {
                    constant_interval(&f.args[2], &name)?
                } else {
                    0
                },
            },
            ("HOP", 3 | 4) => WindowSpec::Hop {
                slide: iv(1)?,
                size: iv(2)?,
                offset: if f.args.len() == 4 {
                    constant_interval(&f.args[3], &name)?
                } else {
                    0
                },
            },
            ("SESSION", 2) => WindowSpec::Session { gap: iv(1)? },
            _ => {
                return Err(SqlError::validation(
                    format!("{name} group window: wrong number of arguments"),
                    at.and_then(|i| i.loc.pos()),
                ));
            }
        };
        Ok(Some((spec, col, event_time)))
    }
}

/// SELECT and HAVING over a grouped aggregate's output rows.
fn select_over_groups(
    agg_plan: LogicalPlan,
    s: &Select,
    out_scope: &GroupedScope<'_>,
) -> Result<LogicalPlan> {
    let mut plan = agg_plan.clone();
    if let Some(h) = &s.having {
        let predicate = expr::bind(h, out_scope)?;
        expect_boolean(&predicate, "HAVING")?;
        plan = LogicalPlan::Filter {
            input: Box::new(plan),
            predicate,
        };
    }
    let mut exprs = Vec::new();
    let mut fields = Vec::new();
    for (pos, item) in s.projection.iter().enumerate() {
        match item {
            SelectItem::Expr { expr: e, alias } => {
                let b = expr::bind(e, out_scope)?;
                let name = output_name(e, alias.as_ref(), pos);
                let mut f = Field::new(name, b.ty().clone());
                if let Some(c) = b.as_column() {
                    f.time = agg_plan.schema().fields[c].time;
                }
                fields.push(f);
                exprs.push(b);
            }
            _ => return Err(unsupported("* in an aggregating SELECT", None)),
        }
    }
    Ok(LogicalPlan::Project {
        input: Box::new(plan),
        exprs,
        schema: Schema { fields },
    })
}

// ---------------------------------------------------------------------------------------------
// Scopes

struct EmptyScope;

impl Scope for EmptyScope {
    fn column(&self, path: &[Ident]) -> Result<BoundExpr> {
        let name = path.iter().map(Ident::as_str).collect::<Vec<_>>().join(".");
        Err(SqlError::validation(
            format!("unknown column '{name}' (there is no table here)"),
            path.first().and_then(|i| i.loc.pos()),
        ))
    }
}

/// The output of a window aggregate seen from its SELECT and HAVING: group keys, window
/// properties and aggregate calls are columns; other input columns are errors.
struct GroupedScope<'a> {
    input: &'a Schema,
    output: &'a Schema,
    key_exprs: &'a [&'a Expr],
    agg_calls: &'a [ast::Function],
    n_keys: usize,
    input_plan_props: &'a dyn Fn(usize) -> Option<WindowProperty>,
    legacy_name: Option<String>,
}

impl GroupedScope<'_> {
    fn column_at(&self, i: usize) -> BoundExpr {
        BoundExpr::Column {
            index: i,
            ty: self.output.fields[i].ty.clone(),
        }
    }

    fn property(&self, p: WindowProperty) -> BoundExpr {
        let offset = match p {
            WindowProperty::Start => 0,
            WindowProperty::End => 1,
            WindowProperty::Time => 2,
        };
        self.column_at(self.n_keys + offset)
    }
}

impl Scope for GroupedScope<'_> {
    fn column(&self, path: &[Ident]) -> Result<BoundExpr> {
        let i = RelScope { schema: self.input }.resolve(path)?;
        if let Some(p) = (self.input_plan_props)(i) {
            return Ok(self.property(p));
        }
        Err(SqlError::validation(
            format!(
                "column '{}' is neither grouped nor aggregated; add it to GROUP BY or wrap it in an aggregate",
                self.input.fields[i].name
            ),
            path.last().and_then(|i| i.loc.pos()),
        ))
    }

    fn substitute(&self, expr: &Expr) -> Option<Result<BoundExpr>> {
        let e = expr.without_parentheses();
        if let Some(k) = self.key_exprs.iter().position(|k| k.without_parentheses() == e) {
            return Some(Ok(self.column_at(k)));
        }
        if let Expr::Function(f) = e {
            if let Some(a) = self.agg_calls.iter().position(|c| c == f) {
                return Some(Ok(self.column_at(self.n_keys + 3 + a)));
            }
            let name = f.name.base().to_ascii_uppercase();
            if let Some((prefix, suffix)) = name.rsplit_once('_')
                && matches!(prefix, "TUMBLE" | "HOP" | "SESSION")
            {
                let p = match suffix {
                    "START" => WindowProperty::Start,
                    "END" => WindowProperty::End,
                    "ROWTIME" => WindowProperty::Time,
                    "PROCTIME" => WindowProperty::Time,
                    _ => return None,
                };
                if self.legacy_name.as_deref() != Some(prefix) {
                    return Some(Err(SqlError::validation(
                        format!("{name} needs a {prefix}(...) group window in GROUP BY"),
                        f.name.0.first().and_then(|i| i.loc.pos()),
                    )));
                }
                return Some(Ok(self.property(p)));
            }
        }
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Joins

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
    Both,
    Neither,
}

fn side_of(e: &BoundExpr, left_width: usize) -> Side {
    let (mut l, mut r) = (false, false);
    e.visit_columns(&mut |i| {
        if i < left_width {
            l = true;
        } else {
            r = true;
        }
    });
    match (l, r) {
        (true, false) => Side::Left,
        (false, true) => Side::Right,
        (true, true) => Side::Both,
        (false, false) => Side::Neither,
    }
}

fn split_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e.without_parentheses() {
        Expr::Binary {
            left,
            op: ast::BinaryOp::And,
            right,
        } => {
            split_and(left, out);
            split_and(right, out);
        }
        other => out.push(other),
    }
}

fn and_all(mut parts: Vec<BoundExpr>) -> Option<BoundExpr> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => {
            let nullable = parts.iter().any(|p| p.ty().nullable);
            Some(BoundExpr::Call {
                func: crate::expr::ScalarFunc::And,
                args: parts,
                ty: DataType {
                    kind: TypeKind::Boolean,
                    nullable,
                },
            })
        }
    }
}

/// Bounds on `right.rowtime - left.rowtime` in ms, from conditions like
/// `r.ts BETWEEN l.ts - INTERVAL '5' SECOND AND l.ts + INTERVAL '5' SECOND`.
#[derive(Debug, Default)]
struct TimeBounds {
    lower: Option<i64>,
    upper: Option<i64>,
}

impl TimeBounds {
    /// Takes `c` if it bounds the two rowtimes; `false` leaves it to the caller.
    fn absorb(
        &mut self,
        c: &Expr,
        scope: &RelScope<'_>,
        rowtimes: (Option<usize>, Option<usize>),
    ) -> Result<bool> {
        let pairs: Vec<(&Expr, ast::BinaryOp, &Expr)> = match c.without_parentheses() {
            Expr::Between {
                expr,
                negated: false,
                low,
                high,
            } => vec![
                (&**expr, ast::BinaryOp::GtEq, &**low),
                (&**expr, ast::BinaryOp::LtEq, &**high),
            ],
            Expr::Binary { left, op, right } => vec![(&**left, *op, &**right)],
            _ => return Ok(false),
        };
        let mut found = Vec::new();
        for (a, op, b) in pairs {
            let (Some((a_right, oa)), Some((b_right, ob))) = (
                time_operand(a, scope, rowtimes)?,
                time_operand(b, scope, rowtimes)?,
            ) else {
                return Ok(false);
            };
            if a_right == b_right {
                return Ok(false);
            }
            // a.t + oa OP b.t + ob, rewritten as (r - l) OP' c.
            found.push(if a_right {
                (op, ob - oa)
            } else {
                (flip(op), oa - ob)
            });
        }
        let (mut lower, mut upper) = (self.lower, self.upper);
        for (op, c) in found {
            let (lo, hi) = match op {
                ast::BinaryOp::GtEq => (Some(c), None),
                ast::BinaryOp::Gt => (Some(c + 1), None),
                ast::BinaryOp::LtEq => (None, Some(c)),
                ast::BinaryOp::Lt => (None, Some(c - 1)),
                ast::BinaryOp::Eq => (Some(c), Some(c)),
                _ => return Ok(false),
            };
            if let Some(lo) = lo {
                lower = Some(lower.map_or(lo, |l| l.max(lo)));
            }
            if let Some(hi) = hi {
                upper = Some(upper.map_or(hi, |u| u.min(hi)));
            }
        }
        (self.lower, self.upper) = (lower, upper);
        Ok(true)
    }
}

fn flip(op: ast::BinaryOp) -> ast::BinaryOp {
    match op {
        ast::BinaryOp::Lt => ast::BinaryOp::Gt,
        ast::BinaryOp::LtEq => ast::BinaryOp::GtEq,
        ast::BinaryOp::Gt => ast::BinaryOp::Lt,
        ast::BinaryOp::GtEq => ast::BinaryOp::LtEq,
        other => other,
    }
}

/// `ts`, `ts + INTERVAL ..` or `ts - INTERVAL ..` where `ts` is one side's rowtime: which side
/// (true = right) and the offset in ms.
fn time_operand(
    e: &Expr,
    scope: &RelScope<'_>,
    rowtimes: (Option<usize>, Option<usize>),
) -> Result<Option<(bool, i64)>> {
    let column_side = |path: &[Ident]| -> Option<bool> {
        let i = scope.resolve(path).ok()?;
        if Some(i) == rowtimes.0 {
            Some(false)
        } else if Some(i) == rowtimes.1 {
            Some(true)
        } else {
            None
        }
    };
    Ok(match e.without_parentheses() {
        Expr::Column(path) => column_side(path).map(|s| (s, 0)),
        Expr::Binary { left, op, right } if matches!(op, ast::BinaryOp::Plus | ast::BinaryOp::Minus) => {
            let Expr::Column(path) = left.without_parentheses() else {
                return Ok(None);
            };
            let Some(side) = column_side(path) else {
                return Ok(None);
            };
            if !matches!(right.without_parentheses(), Expr::Interval { .. }) {
                return Ok(None);
            }
            let ms = constant_interval(right, "join time bound")?;
            Some((side, if *op == ast::BinaryOp::Minus { -ms } else { ms }))
        }
        _ => None,
    })
}

/// Where a plan's `window_start` and `window_end` columns are, when its rows come from a window
/// TVF through projections, filters and unnests.
struct WindowColumns {
    start: usize,
    end: usize,
    time: Option<usize>,
    spec: WindowSpec,
    /// Whether the windows were cut over a TIMESTAMP_LTZ attribute, so their bounds are
    /// wall-clock times of the session zone (known even when `window_time` was projected away).
    local: bool,
}

impl WindowColumns {
    /// Which window column `col` is.
    fn property(&self, col: usize) -> Option<WindowProperty> {
        if col == self.start {
            Some(WindowProperty::Start)
        } else if col == self.end {
            Some(WindowProperty::End)
        } else if Some(col) == self.time {
            Some(WindowProperty::Time)
        } else {
            None
        }
    }
}

fn window_columns(plan: &LogicalPlan) -> Option<WindowColumns> {
    let ltz_at = |i: usize| {
        plan.schema()
            .fields
            .get(i)
            .is_some_and(|f| matches!(f.ty.kind, TypeKind::TimestampLtz(_)))
    };
    match plan {
        LogicalPlan::WindowAssign { input, window, .. } => {
            let w = input.schema().fields.len();
            Some(WindowColumns {
                start: w,
                end: w + 1,
                time: Some(w + 2),
                spec: *window,
                local: ltz_at(w + 2),
            })
        }
        LogicalPlan::WindowAggregate { keys, window, .. }
        | LogicalPlan::AttachedWindowAggregate { keys, window, .. } => {
            let n = keys.len();
            Some(WindowColumns {
                start: n,
                end: n + 1,
                time: Some(n + 2),
                spec: *window,
                local: ltz_at(n + 2),
            })
        }
        // An unnest appends its columns: the input's keep their places.
        LogicalPlan::Filter { input, .. } | LogicalPlan::Unnest { input, .. } => window_columns(input),
        LogicalPlan::Project { input, exprs, .. } => {
            let inner = window_columns(input)?;
            let find = |c: usize| exprs.iter().position(|e| e.as_column() == Some(c));
            Some(WindowColumns {
                start: find(inner.start)?,
                end: find(inner.end)?,
                time: inner.time.and_then(find),
                spec: inner.spec,
                local: inner.local,
            })
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

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

/// The type of `window_time` over a time attribute of type `time_ty` (Flink: `window_start`
/// and `window_end` are always `TIMESTAMP(3)`, wall-clock times of the session zone when the
/// attribute is a `TIMESTAMP_LTZ`; `window_time` keeps the attribute's kind).
fn window_timestamp_kind(time_ty: &DataType) -> TypeKind {
    match time_ty.kind {
        TypeKind::TimestampLtz(_) => TypeKind::TimestampLtz(3),
        _ => TypeKind::Timestamp(3),
    }
}

fn column_index(schema: &Schema, name: &Ident) -> Result<usize> {
    RelScope { schema }.resolve(std::slice::from_ref(name))
}

fn property_of_tvf_column(width: Option<usize>, col: usize) -> Option<WindowProperty> {
    let w = width?;
    match col.checked_sub(w)? {
        0 => Some(WindowProperty::Start),
        1 => Some(WindowProperty::End),
        2 => Some(WindowProperty::Time),
        _ => None,
    }
}

/// Whether `plan` is a window TVF, possibly filtered or unnested (what a TVF aggregation reads).
fn is_window_assign(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::WindowAssign { .. } => true,
        LogicalPlan::Filter { input, .. } | LogicalPlan::Unnest { input, .. } => is_window_assign(input),
        _ => false,
    }
}

/// The rows under a TVF aggregation without their window columns: the window assignment taken
/// out, the filters and unnests above it moved below it.
struct StrippedWindow {
    base: LogicalPlan,
    window: WindowSpec,
    time_col: usize,
    event_time: bool,
    at: WindowColumnsAt,
}

/// Where `window_start`, `window_end` and `window_time` are in windowed rows; the columns
/// after them (an unnest's elements) are 3 places further left in the rows without them.
#[derive(Clone, Copy)]
struct WindowColumnsAt(usize);

impl WindowColumnsAt {
    /// Whether windowed column `col` is a window column.
    fn is_window_column(self, col: usize) -> bool {
        (self.0..self.0 + 3).contains(&col)
    }

    /// `e`, over the windowed rows, over the rows without window columns (it must not read
    /// them).
    fn over_base(self, e: &BoundExpr) -> BoundExpr {
        let at = self.0;
        e.map_columns(&|i| if i >= at + 3 { i - 3 } else { i })
    }

    fn reads_window(self, e: &BoundExpr) -> bool {
        let mut reads = false;
        e.visit_columns(&mut |i| reads |= self.is_window_column(i));
        reads
    }
}

/// The window TVF under an aggregation, with any filters and unnests moved below the window
/// assignment.
fn strip_window_assign(plan: LogicalPlan) -> Result<StrippedWindow> {
    match plan {
        LogicalPlan::WindowAssign {
            input,
            window,
            time_col,
            event_time,
            ..
        } => Ok(StrippedWindow {
            at: WindowColumnsAt(input.schema().fields.len()),
            base: *input,
            window,
            time_col,
            event_time,
        }),
        LogicalPlan::Filter { input, predicate } => {
            let mut stripped = strip_window_assign(*input)?;
            if stripped.at.reads_window(&predicate) {
                return Err(unsupported(
                    "a WHERE condition on window columns before the aggregation",
                    None,
                ));
            }
            let predicate = stripped.at.over_base(&predicate);
            stripped.base = LogicalPlan::Filter {
                input: Box::new(stripped.base),
                predicate,
            };
            Ok(stripped)
        }
        LogicalPlan::Unnest {
            input,
            collection,
            elements,
            options,
            condition,
            carried,
            schema,
        } => {
            let mut stripped = strip_window_assign(*input)?;
            let at = stripped.at;
            if at.reads_window(&collection) || condition.as_ref().is_some_and(|c| at.reads_window(c)) {
                return Err(unsupported(
                    "UNNEST of or ON a window column before the aggregation",
                    None,
                ));
            }
            // The input's columns as they are before window assignment (its rowtime one still).
            let mut fields = stripped.base.schema().fields.clone();
            fields.extend(schema.fields.into_iter().skip(at.0 + 3));
            stripped.base = LogicalPlan::Unnest {
                input: Box::new(stripped.base),
                collection: at.over_base(&collection),
                condition: condition.map(|c| at.over_base(&c)),
                elements,
                options,
                carried,
                schema: Schema { fields },
            };
            Ok(stripped)
        }
        _ => Err(unsupported(
            "GROUP BY window_start, window_end over something other than a window table function",
            None,
        )),
    }
}

fn collect_aggregates(e: &Expr, out: &mut Vec<ast::Function>) {
    match e {
        Expr::Function(f)
            if f.name.0.len() == 1 && AggKind::from_name(f.name.base()).is_some() && !out.contains(f) =>
        {
            out.push(f.clone());
        }
        Expr::Function(f) if f.name.0.len() == 1 && AggKind::from_name(f.name.base()).is_some() => {}
        Expr::Function(f) => f.args.iter().for_each(|a| collect_aggregates(a, out)),
        Expr::Unary { expr, .. }
        | Expr::Nested(expr)
        | Expr::Cast { expr, .. }
        | Expr::IsNull { expr, .. }
        | Expr::IsUnknown { expr, .. }
        | Expr::IsBool { expr, .. }
        | Expr::Extract { expr, .. }
        | Expr::FloorCeil { expr, .. } => collect_aggregates(expr, out),
        Expr::Binary { left, right, .. } | Expr::IsDistinctFrom { left, right, .. } => {
            collect_aggregates(left, out);
            collect_aggregates(right, out);
        }
        Expr::Case {
            operand,
            whens,
            else_result,
        } => {
            if let Some(o) = operand {
                collect_aggregates(o, out);
            }
            for (c, r) in whens {
                collect_aggregates(c, out);
                collect_aggregates(r, out);
            }
            if let Some(e) = else_result {
                collect_aggregates(e, out);
            }
        }
        Expr::Between { expr, low, high, .. } => {
            for x in [expr, low, high] {
                collect_aggregates(x, out);
            }
        }
        Expr::InList { expr, list, .. } => {
            collect_aggregates(expr, out);
            list.iter().for_each(|x| collect_aggregates(x, out));
        }
        Expr::Like { expr, pattern, .. } => {
            collect_aggregates(expr, out);
            collect_aggregates(pattern, out);
        }
        Expr::Position { needle, haystack } => {
            collect_aggregates(needle, out);
            collect_aggregates(haystack, out);
        }
        Expr::JsonObject { entries, .. } => {
            for (k, v) in entries {
                collect_aggregates(k, out);
                collect_aggregates(v, out);
            }
        }
        Expr::JsonArray { values, .. } => values.iter().for_each(|x| collect_aggregates(x, out)),
        Expr::JsonExists { json, path, .. } | Expr::JsonQuery { json, path, .. } => {
            collect_aggregates(json, out);
            collect_aggregates(path, out);
        }
        Expr::Overlay {
            expr,
            placing,
            from,
            length,
        } => {
            for x in [expr, placing, from].into_iter().chain(length) {
                collect_aggregates(x, out);
            }
        }
        Expr::Trim { chars, expr, .. } => {
            collect_aggregates(expr, out);
            if let Some(c) = chars {
                collect_aggregates(c, out);
            }
        }
        _ => {}
    }
}

fn bind_aggregate(f: &ast::Function, scope: &RelScope<'_>) -> Result<AggCall> {
    let at = f.name.0.first().and_then(|i| i.loc.pos());
    let mut kind =
        AggKind::from_name(f.name.base()).ok_or_else(|| SqlError::validation("not an aggregate", at))?;
    let args: Vec<BoundExpr> = if kind == AggKind::Count && matches!(f.args.as_slice(), [Expr::Wildcard]) {
        kind = AggKind::CountStar;
        vec![]
    } else {
        let mut v = Vec::new();
        for a in &f.args {
            // Nested aggregates are errors (RelScope refuses them).
            v.push(expr::bind(a, scope)?);
        }
        v
    };
    if kind == AggKind::CountStar && f.distinct {
        return Err(SqlError::validation("COUNT(DISTINCT *) is not valid", at));
    }
    let ty = aggregate::result_type(kind, &args).map_err(|e| match e {
        SqlError::Validation { message, .. } => SqlError::validation(message, at),
        other => other,
    })?;
    let filter = match &f.filter {
        Some(fl) => {
            let b = expr::bind(fl, scope)?;
            expect_boolean(&b, "FILTER")?;
            Some(b)
        }
        None => None,
    };
    Ok(AggCall {
        kind,
        args,
        distinct: f.distinct,
        filter,
        ty,
    })
}

/// Flink's name of a select item: its alias, its column name, or `EXPR$<position>`.
fn output_name(e: &Expr, alias: Option<&Ident>, pos: usize) -> String {
    if let Some(a) = alias {
        return a.value.clone();
    }
    match e.without_parentheses() {
        Expr::Column(path) => path
            .last()
            .map_or_else(|| format!("EXPR${pos}"), |i| i.value.clone()),
        _ => format!("EXPR${pos}"),
    }
}

fn project(input: LogicalPlan, items: &[SelectItem]) -> Result<LogicalPlan> {
    let in_schema = input.schema().clone();
    let scope = RelScope { schema: &in_schema };
    let mut exprs = Vec::new();
    let mut fields = Vec::new();
    for (pos, item) in items.iter().enumerate() {
        match item {
            SelectItem::Wildcard => {
                for (i, f) in in_schema.fields.iter().enumerate() {
                    exprs.push(BoundExpr::Column {
                        index: i,
                        ty: f.ty.clone(),
                    });
                    fields.push(f.clone());
                }
            }
            SelectItem::QualifiedWildcard(q) => {
                let mut any = false;
                for (i, f) in in_schema.fields.iter().enumerate() {
                    if f.qualifier.as_deref() == Some(q.base()) {
                        any = true;
                        exprs.push(BoundExpr::Column {
                            index: i,
                            ty: f.ty.clone(),
                        });
                        fields.push(f.clone());
                    }
                }
                if !any {
                    return Err(SqlError::validation(
                        format!("unknown table '{q}' in {q}.*"),
                        q.0.first().and_then(|i| i.loc.pos()),
                    ));
                }
            }
            SelectItem::Expr { expr: e, alias } => {
                let b = expr::bind(e, &scope)?;
                let mut f = Field::new(output_name(e, alias.as_ref(), pos), b.ty().clone());
                if let Some(c) = b.as_column() {
                    f.time = in_schema.fields[c].time;
                    if alias.is_none() {
                        f.qualifier = in_schema.fields[c].qualifier.clone();
                    }
                } else if let BoundExpr::Call {
                    func: crate::expr::ScalarFunc::Proctime,
                    ..
                } = &b
                {
                    f.time = Some(TimeAttr::Proctime);
                }
                fields.push(f);
                exprs.push(b);
            }
        }
    }
    for f in fields.iter_mut() {
        f.qualifier = None;
    }
    Ok(LogicalPlan::Project {
        input: Box::new(input),
        exprs,
        schema: Schema { fields },
    })
}

fn union(l: LogicalPlan, r: LogicalPlan) -> Result<LogicalPlan> {
    let (ls, rs) = (l.schema().clone(), r.schema().clone());
    if ls.fields.len() != rs.fields.len() {
        return Err(SqlError::validation(
            format!(
                "UNION ALL: the inputs have {} and {} columns",
                ls.fields.len(),
                rs.fields.len()
            ),
            None,
        ));
    }
    let mut fields = Vec::new();
    for (a, b) in ls.fields.iter().zip(&rs.fields) {
        let ty = expr::common_type([&a.ty, &b.ty].into_iter(), "UNION ALL")?;
        let mut f = Field::new(a.name.clone(), ty);
        if a.time == b.time {
            f.time = a.time;
        }
        fields.push(f);
    }
    let schema = Schema { fields };
    let conform = |p: LogicalPlan| -> LogicalPlan {
        let s = p.schema().clone();
        if s.fields.iter().zip(&schema.fields).all(|(a, b)| a.ty == b.ty) {
            return p;
        }
        let exprs = s
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                expr::coerce(
                    BoundExpr::Column {
                        index: i,
                        ty: f.ty.clone(),
                    },
                    &schema.fields[i].ty,
                )
            })
            .collect();
        LogicalPlan::Project {
            input: Box::new(p),
            exprs,
            schema: schema.clone(),
        }
    };
    let mut inputs = Vec::new();
    for p in [l, r] {
        match p {
            LogicalPlan::Union { inputs: inner, .. } => inputs.extend(inner.into_iter().map(conform)),
            other => inputs.push(conform(other)),
        }
    }
    Ok(LogicalPlan::Union { inputs, schema })
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
        LogicalPlan::Filter { input, .. } => schema_mut(input),
        LogicalPlan::Scan { schema, .. }
        | LogicalPlan::Values { schema, .. }
        | LogicalPlan::Project { schema, .. }
        | LogicalPlan::WindowAssign { schema, .. }
        | LogicalPlan::WindowAggregate { schema, .. }
        | LogicalPlan::AttachedWindowAggregate { schema, .. }
        | LogicalPlan::Union { schema, .. }
        | LogicalPlan::Unnest { schema, .. }
        | LogicalPlan::WindowJoin { schema, .. }
        | LogicalPlan::RegularJoin { schema, .. }
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

/// A table's scan: every column in declaration order; computed columns bound over the row.
fn scan(t: &TableDef) -> Result<LogicalPlan> {
    let mut fields: Vec<Field> = Vec::new();
    for c in &t.columns {
        let ty = match &c.kind {
            ColumnKind::Physical(ty) | ColumnKind::Metadata { ty, .. } => ty.clone(),
            // Typed below, once the physical columns are known.
            ColumnKind::Computed(_) => DataType::new(TypeKind::Boolean),
        };
        fields.push(Field::new(c.name.value.clone(), ty));
    }
    let mut computed = Vec::new();
    for (i, c) in t.columns.iter().enumerate() {
        if let ColumnKind::Computed(e) = &c.kind {
            let _ = i;
            let visible = Schema {
                fields: fields
                    .iter()
                    .enumerate()
                    .map(|(j, f)| {
                        let mut f = f.clone();
                        // Flink: computed columns read physical and metadata columns only.
                        if matches!(t.columns[j].kind, ColumnKind::Computed(_)) {
                            f.name = String::new();
                        }
                        f
                    })
                    .collect(),
            };
            let b = expr::bind(e, &RelScope { schema: &visible })?;
            fields[i].ty = b.ty().clone();
            if matches!(
                b,
                BoundExpr::Call {
                    func: crate::expr::ScalarFunc::Proctime,
                    ..
                }
            ) {
                fields[i].time = Some(TimeAttr::Proctime);
            }
            computed.push((i, b));
        }
    }
    let mut rowtime = None;
    if let Some(w) = &t.watermark {
        let col = column_index(
            &Schema {
                fields: fields.clone(),
            },
            &w.column,
        )?;
        fields[col].time = Some(TimeAttr::Rowtime);
        let delay = watermark_delay(&w.expr, &w.column)?;
        rowtime = Some(Rowtime {
            column: col,
            delay_ms: delay,
        });
    }
    for f in &mut fields {
        f.qualifier = Some(t.name.base().to_string());
    }
    Ok(LogicalPlan::Scan {
        table: Box::new(t.clone()),
        computed,
        rowtime,
        used: None,
        schema: Schema { fields },
    })
}

/// The delay of `WATERMARK FOR ts AS ts [- INTERVAL ..]`.
fn watermark_delay(e: &Expr, column: &Ident) -> Result<i64> {
    let is_col =
        |e: &Expr| matches!(e.without_parentheses(), Expr::Column(p) if p.len() == 1 && p[0] == *column);
    match e.without_parentheses() {
        x if is_col(x) => Ok(0),
        Expr::Binary {
            left,
            op: ast::BinaryOp::Minus,
            right,
        } if is_col(left) => {
            let ms = constant_interval(right, "WATERMARK")?;
            if ms < 0 {
                return Err(SqlError::validation(
                    "WATERMARK: the delay must not be negative",
                    column.loc.pos(),
                ));
            }
            Ok(ms)
        }
        other => Err(SqlError::unsupported(
            format!(
                "the watermark strategy '{other}' (Spate supports `{column}` and `{column} - INTERVAL ...`)"
            ),
            column.loc.pos().unwrap_or(crate::error::Position::new(1, 1)),
        )),
    }
}
