//! sqlparser's AST → Spate's IR. Whatever sqlparser accepts that is not Flink SQL, or that Spate
//! does not support, becomes an error at the construct's position.

use sqlparser::ast as sp;
use std::cell::Cell;

use sqlparser::ast::Spanned;
use sqlparser::tokenizer::Span;

use super::TableHints;
use super::dialect::{CAST_TYPE, TABLE_ARG};
use super::types::parse_type_text;
use crate::ast::{
    BinaryOp, Cte, Expr, FrameBound, FrameUnits, Function, JoinKind, JsonKind, Literal, OrderBy, Over, Query,
    Select, SelectItem, SetExpr, SetOp, TableAlias, TableRef, TimeUnit, TrimSide, UnaryOp, WindowDef,
    WindowFrame, WindowKind, WindowTvf,
};
use crate::error::{Position, Result, SqlError};
use crate::ident::{Ident, Loc, ObjectName};

/// The units `TIMESTAMPADD`/`TIMESTAMPDIFF` take, by name.
fn unit_arg(name: &str) -> Option<TimeUnit> {
    Some(match name.to_ascii_uppercase().as_str() {
        "YEAR" => TimeUnit::Year,
        "QUARTER" => TimeUnit::Quarter,
        "MONTH" => TimeUnit::Month,
        "WEEK" => TimeUnit::Week,
        "DAY" => TimeUnit::Day,
        "HOUR" => TimeUnit::Hour,
        "MINUTE" => TimeUnit::Minute,
        "SECOND" => TimeUnit::Second,
        _ => return None,
    })
}

/// Converts a query; `fallback` is used for nodes sqlparser gives no position.
pub(crate) fn query(q: &sp::Query, fallback: Position, table_hints: &TableHints) -> Result<Query> {
    Conv {
        fallback,
        depth: Cell::new(0),
        table_hints,
    }
    .query(q)
}

/// Converts an expression.
pub(crate) fn expr(e: &sp::Expr, fallback: Position, table_hints: &TableHints) -> Result<Expr> {
    Conv {
        fallback,
        depth: Cell::new(0),
        table_hints,
    }
    .expr(e)
}

struct Conv<'h> {
    fallback: Position,
    /// How deep the conversion is in nested expressions and queries.
    depth: Cell<usize>,
    /// The script's `OPTIONS` hints, each taken by the table it follows.
    table_hints: &'h TableHints,
}

/// How deep an expression or query may nest. sqlparser bounds parentheses and subqueries, but a
/// left-deep operator chain (`a + b + c + ...`, `x OR y OR ...`) nests one level per operator.
/// Grouping sets, each the positions of its keys among `GROUP BY`'s expressions.
type GroupingSets = Vec<Vec<usize>>;

const MAX_DEPTH: usize = 500;

/// Something with a source span, computed only when an error needs it (a span is a walk over
/// the whole subtree).
trait At: Copy {
    fn span(self) -> Span;
}

impl At for Span {
    fn span(self) -> Span {
        self
    }
}

impl<F: Fn() -> Span + Copy> At for F {
    fn span(self) -> Span {
        self()
    }
}

/// Leaves one level of nesting when dropped.
struct DepthGuard<'a>(&'a Cell<usize>);

impl Drop for DepthGuard<'_> {
    fn drop(&mut self) {
        self.0.set(self.0.get().saturating_sub(1));
    }
}

fn ident(i: &sp::Ident) -> Ident {
    let loc = if i.span.start.line == 0 {
        Loc::NONE
    } else {
        Loc(Some(Position::new(i.span.start.line, i.span.start.column)))
    };
    Ident::at(i.value.clone(), loc)
}

impl Conv<'_> {
    fn enter(&self) -> Result<DepthGuard<'_>> {
        let d = self.depth.get() + 1;
        if d > MAX_DEPTH {
            // At the statement's start: the deep node's own span is itself a deep walk.
            return Err(SqlError::parse(
                format!("the statement nests too deeply (more than {MAX_DEPTH} levels)"),
                self.fallback,
            ));
        }
        self.depth.set(d);
        Ok(DepthGuard(&self.depth))
    }

    fn pos_of(&self, at: impl At) -> Position {
        let span = at.span();
        if span.start.line == 0 {
            self.fallback
        } else {
            Position::new(span.start.line, span.start.column)
        }
    }

    fn unsupported<T>(&self, what: impl Into<String>, at: impl At) -> Result<T> {
        Err(SqlError::unsupported(what, self.pos_of(at)))
    }

    fn invalid<T>(&self, what: impl Into<String>, at: impl At) -> Result<T> {
        Err(SqlError::parse(what, self.pos_of(at)))
    }

    fn object_name(&self, n: &sp::ObjectName) -> Result<ObjectName> {
        n.0.iter()
            .map(|p| match p {
                sp::ObjectNamePart::Identifier(i) => Ok(ident(i)),
                other => self.invalid(format!("not a name: {other}"), n.span()),
            })
            .collect::<Result<Vec<_>>>()
            .map(ObjectName)
    }

    // ---- queries ----------------------------------------------------------------------------

    fn query(&self, q: &sp::Query) -> Result<Query> {
        let _depth = self.enter()?;
        let span = || q.span();
        if !q.locks.is_empty()
            || q.for_clause.is_some()
            || q.settings.is_some()
            || q.format_clause.is_some()
            || !q.pipe_operators.is_empty()
        {
            return self.invalid("not Flink SQL: clause after the query", span);
        }
        let mut with = Vec::new();
        if let Some(w) = &q.with {
            if w.recursive {
                return self.unsupported("WITH RECURSIVE is not supported", span);
            }
            for cte in &w.cte_tables {
                if cte.materialized.is_some() || cte.from.is_some() {
                    return self.invalid("not Flink SQL: CTE modifiers", span);
                }
                with.push(Cte {
                    name: ident(&cte.alias.name),
                    columns: self.alias_columns(&cte.alias)?,
                    query: Box::new(self.query(&cte.query)?),
                });
            }
        }
        let body = self.set_expr(&q.body)?;
        let mut order_by = Vec::new();
        if let Some(ob) = &q.order_by {
            if ob.interpolate.is_some() {
                return self.invalid("not Flink SQL: INTERPOLATE", span);
            }
            match &ob.kind {
                sp::OrderByKind::All(_) => {
                    return self.invalid("not Flink SQL: ORDER BY ALL", span);
                }
                sp::OrderByKind::Expressions(exprs) => {
                    for o in exprs {
                        order_by.push(self.order_by(o)?);
                    }
                }
            }
        }
        let mut limit = None;
        let mut offset = None;
        match &q.limit_clause {
            None => {}
            Some(sp::LimitClause::LimitOffset {
                limit: l,
                offset: o,
                limit_by,
            }) => {
                if !limit_by.is_empty() {
                    return self.invalid("not Flink SQL: LIMIT BY", span);
                }
                if let Some(l) = l {
                    limit = Some(self.expr(l)?);
                }
                if let Some(o) = o {
                    offset = Some(self.expr(&o.value)?);
                }
            }
            Some(sp::LimitClause::OffsetCommaLimit { .. }) => {
                return self.invalid("not Flink SQL: LIMIT offset, count", span);
            }
        }
        // `FETCH FIRST|NEXT n ROWS ONLY` is the standard's `LIMIT n` (Calcite parses both).
        if let Some(fetch) = &q.fetch {
            if fetch.with_ties || fetch.percent || limit.is_some() {
                return self.invalid(format!("not Flink SQL: {fetch}"), span);
            }
            limit = match &fetch.quantity {
                Some(n) => Some(self.expr(n)?),
                None => Some(Expr::Literal(Literal::Number("1".into()))),
            };
        }
        Ok(Query {
            with,
            body,
            order_by,
            limit,
            offset,
        })
    }

    fn order_by(&self, o: &sp::OrderByExpr) -> Result<OrderBy> {
        if o.with_fill.is_some() {
            return self.invalid("not Flink SQL: WITH FILL", o.span());
        }
        let asc = match &o.options.sort {
            None => None,
            Some(sp::OrderBySort::Asc) => Some(true),
            Some(sp::OrderBySort::Desc) => Some(false),
            Some(_) => return self.invalid("not Flink SQL: ORDER BY USING", o.span()),
        };
        Ok(OrderBy {
            expr: self.expr(&o.expr)?,
            asc,
            nulls_first: o.options.nulls_first,
        })
    }

    fn alias_columns(&self, a: &sp::TableAlias) -> Result<Vec<Ident>> {
        a.columns
            .iter()
            .map(|c| match c.data_type {
                None => Ok(ident(&c.name)),
                Some(_) => self.invalid("not Flink SQL: typed alias column", a.name.span),
            })
            .collect()
    }

    fn alias(&self, a: &Option<sp::TableAlias>) -> Result<Option<TableAlias>> {
        match a {
            None => Ok(None),
            Some(a) => {
                if a.at.is_some() {
                    return self.invalid("not Flink SQL: AT in an alias", a.name.span);
                }
                Ok(Some(TableAlias {
                    name: ident(&a.name),
                    columns: self.alias_columns(a)?,
                }))
            }
        }
    }

    fn set_expr(&self, s: &sp::SetExpr) -> Result<SetExpr> {
        match s {
            sp::SetExpr::Select(sel) => Ok(SetExpr::Select(Box::new(self.select(sel)?))),
            sp::SetExpr::Query(q) => Ok(SetExpr::Query(Box::new(self.query(q)?))),
            sp::SetExpr::SetOperation { .. } => {
                // A chain of set operations nests to the left, one level per branch: walked
                // as a list, so thousands of UNION ALL branches take no stack here.
                let mut branches = Vec::new();
                let mut rest = s;
                while let sp::SetExpr::SetOperation {
                    left,
                    op,
                    set_quantifier,
                    right,
                } = rest
                {
                    branches.push((self.set_op(rest, op, set_quantifier)?, right.as_ref()));
                    rest = left;
                }
                let mut out = self.set_expr(rest)?;
                for ((op, all), right) in branches.into_iter().rev() {
                    out = SetExpr::SetOp {
                        op,
                        all,
                        left: Box::new(out),
                        right: Box::new(self.set_expr(right)?),
                    };
                }
                Ok(out)
            }
            sp::SetExpr::Values(v) => {
                if v.explicit_row {
                    return self.invalid("not Flink SQL: VALUES ROW(..)", s.span());
                }
                let rows = v
                    .rows
                    .iter()
                    .map(|r| r.iter().map(|e| self.expr(e)).collect::<Result<Vec<_>>>())
                    .collect::<Result<Vec<_>>>()?;
                Ok(SetExpr::Values(rows))
            }
            _ => self.invalid(format!("not a query: {s}"), s.span()),
        }
    }

    /// The operator of set operation `s` and whether it is `ALL`.
    fn set_op(
        &self,
        s: &sp::SetExpr,
        op: &sp::SetOperator,
        quantifier: &sp::SetQuantifier,
    ) -> Result<(SetOp, bool)> {
        let op = match op {
            sp::SetOperator::Union => SetOp::Union,
            sp::SetOperator::Intersect => SetOp::Intersect,
            sp::SetOperator::Except => SetOp::Except,
            sp::SetOperator::Minus => {
                return self.invalid("not Flink SQL: MINUS (use EXCEPT)", || s.span());
            }
        };
        let all = match quantifier {
            sp::SetQuantifier::All => true,
            sp::SetQuantifier::Distinct | sp::SetQuantifier::None => false,
            _ => return self.invalid("not Flink SQL: BY NAME", || s.span()),
        };
        Ok((op, all))
    }

    fn select(&self, s: &sp::Select) -> Result<Select> {
        let span = || s.span();
        if let Some(into) = &s.into {
            return self.invalid(
                "SELECT ... INTO is not Flink SQL; write INSERT INTO t SELECT ...",
                into.span(),
            );
        }
        if s.top.is_some()
            || s.exclude.is_some()
            || !s.lateral_views.is_empty()
            || s.prewhere.is_some()
            || !s.connect_by.is_empty()
            || !s.cluster_by.is_empty()
            || !s.distribute_by.is_empty()
            || !s.sort_by.is_empty()
            || s.qualify.is_some()
            || s.value_table_mode.is_some()
            || s.select_modifiers.is_some()
            || !matches!(s.flavor, sp::SelectFlavor::Standard)
        {
            return self.invalid("not Flink SQL: a SELECT clause of another dialect", span);
        }
        let distinct = match &s.distinct {
            None | Some(sp::Distinct::All) => false,
            Some(sp::Distinct::Distinct) => true,
            Some(sp::Distinct::On(_)) => {
                return self.invalid("not Flink SQL: DISTINCT ON", span);
            }
        };
        let projection = s
            .projection
            .iter()
            .map(|i| self.select_item(i))
            .collect::<Result<Vec<_>>>()?;
        let from = s
            .from
            .iter()
            .map(|t| self.table_with_joins(t))
            .collect::<Result<Vec<_>>>()?;
        let selection = s.selection.as_ref().map(|e| self.expr(e)).transpose()?;
        let (group_by, grouping_sets) = match &s.group_by {
            sp::GroupByExpr::All(_) => {
                return self.invalid("not Flink SQL: GROUP BY ALL", span);
            }
            sp::GroupByExpr::Expressions(exprs, modifiers) => {
                if !modifiers.is_empty() {
                    return self.unsupported("GROUP BY ... WITH modifiers", span);
                }
                self.group_by(exprs)?
            }
        };
        let having = s.having.as_ref().map(|e| self.expr(e)).transpose()?;
        let state_ttl = self.state_ttl_hints(s)?;
        let windows = s
            .named_window
            .iter()
            .map(|sp::NamedWindowDefinition(name, def)| match def {
                sp::NamedWindowExpr::WindowSpec(spec) => Ok((ident(name), self.window_def(spec)?)),
                sp::NamedWindowExpr::NamedWindow(other) => self.unsupported(
                    format!("WINDOW {name} AS {other}: a window defined as another window"),
                    name.span,
                ),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Select {
            distinct,
            projection,
            from,
            selection,
            group_by,
            grouping_sets,
            having,
            state_ttl,
            windows,
        })
    }

    /// `(PARTITION BY .. ORDER BY .. frame)` of an `OVER` clause or a `WINDOW` definition.
    fn window_def(&self, w: &sp::WindowSpec) -> Result<WindowDef> {
        if let Some(base) = &w.window_name {
            return self.unsupported(
                format!("OVER ({base} ..): a window that refines a named window"),
                base.span,
            );
        }
        let frame = match &w.window_frame {
            None => None,
            Some(frame) => {
                let units = match frame.units {
                    sp::WindowFrameUnits::Rows => FrameUnits::Rows,
                    sp::WindowFrameUnits::Range => FrameUnits::Range,
                    sp::WindowFrameUnits::Groups => {
                        let at = w
                            .order_by
                            .iter()
                            .map(|o| o.span())
                            .fold(Span::empty(), |a, b| a.union(&b));
                        return self.invalid("not Flink SQL: GROUPS frames", at);
                    }
                };
                let end = match &frame.end_bound {
                    None => FrameBound::CurrentRow,
                    Some(b) => self.frame_bound(b)?,
                };
                Some(WindowFrame {
                    units,
                    start: self.frame_bound(&frame.start_bound)?,
                    end,
                })
            }
        };
        Ok(WindowDef {
            partition_by: w
                .partition_by
                .iter()
                .map(|e| self.expr(e))
                .collect::<Result<_>>()?,
            order_by: w
                .order_by
                .iter()
                .map(|o| self.order_by(o))
                .collect::<Result<_>>()?,
            frame,
        })
    }

    fn frame_bound(&self, b: &sp::WindowFrameBound) -> Result<FrameBound> {
        Ok(match b {
            sp::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            sp::WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
            sp::WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
            sp::WindowFrameBound::Preceding(Some(n)) => FrameBound::Preceding(self.boxed(n)?),
            sp::WindowFrameBound::Following(Some(n)) => FrameBound::Following(self.boxed(n)?),
        })
    }

    /// The `STATE_TTL` options of the hint comments after `SELECT` (the tokenizer's check let
    /// only those through; `--+` line comments are not hints in Flink).
    fn state_ttl_hints(&self, s: &sp::Select) -> Result<Vec<(String, crate::ast::StateTtlHint)>> {
        let mut hints = Vec::new();
        for h in &s.optimizer_hints {
            if matches!(h.style, sp::OptimizerHintStyle::MultiLine) && h.prefix.is_empty() {
                hints.extend(
                    super::hints::parse_hints(&h.text).map_err(|why| SqlError::validation(why, None))?,
                );
            }
        }
        super::hints::state_ttl_options(&hints).map_err(|why| SqlError::validation(why, None))
    }

    /// `GROUP BY` items: the expressions, each once in the order first written, and, when some
    /// item is `GROUPING SETS`, `ROLLUP` or `CUBE`, the grouping sets they make (the cross
    /// product of the items' sets: `a, ROLLUP(b)` is `(a, b), (a)`).
    fn group_by(&self, items: &[sp::Expr]) -> Result<(Vec<Expr>, Option<GroupingSets>)> {
        let mut keys: Vec<Expr> = Vec::new();
        let mut index = |e: Expr| match keys.iter().position(|k| *k == e) {
            Some(i) => i,
            None => {
                keys.push(e);
                keys.len() - 1
            }
        };
        let mut sets: Vec<Vec<usize>> = vec![Vec::new()];
        let mut any_sets = false;
        for item in items {
            // The sets this item contributes, each a list of key positions.
            let mut element = |exprs: &[sp::Expr]| -> Result<Vec<usize>> {
                exprs
                    .iter()
                    .map(|e| self.expr(e).map(&mut index))
                    .collect::<Result<Vec<_>>>()
            };
            let factor: Vec<Vec<usize>> = match item {
                sp::Expr::GroupingSets(list) => {
                    any_sets = true;
                    list.iter().map(|s| element(s)).collect::<Result<_>>()?
                }
                sp::Expr::Rollup(list) => {
                    any_sets = true;
                    let parts = list.iter().map(|s| element(s)).collect::<Result<Vec<_>>>()?;
                    (0..=parts.len()).rev().map(|n| parts[..n].concat()).collect()
                }
                sp::Expr::Cube(list) => {
                    any_sets = true;
                    let parts = list.iter().map(|s| element(s)).collect::<Result<Vec<_>>>()?;
                    if parts.len() > 12 {
                        return self
                            .invalid("CUBE of more than 12 elements (4096 grouping sets)", item.span());
                    }
                    (0..1usize << parts.len())
                        .rev()
                        .map(|mask| {
                            parts
                                .iter()
                                .enumerate()
                                .filter(|(i, _)| mask & (1 << (parts.len() - 1 - i)) != 0)
                                .flat_map(|(_, p)| p.iter().copied())
                                .collect()
                        })
                        .collect()
                }
                other => vec![element(std::slice::from_ref(other))?],
            };
            let mut next = Vec::with_capacity(sets.len() * factor.len());
            for set in &sets {
                for f in &factor {
                    let mut s = set.clone();
                    for k in f {
                        if !s.contains(k) {
                            s.push(*k);
                        }
                    }
                    next.push(s);
                }
            }
            sets = next;
            if sets.len() > 4096 {
                return self.invalid("more than 4096 grouping sets", item.span());
            }
        }
        Ok((keys, any_sets.then_some(sets)))
    }

    fn select_item(&self, i: &sp::SelectItem) -> Result<SelectItem> {
        match i {
            sp::SelectItem::UnnamedExpr(e) => Ok(SelectItem::Expr {
                expr: self.expr(e)?,
                alias: None,
            }),
            sp::SelectItem::ExprWithAlias { expr, alias } => Ok(SelectItem::Expr {
                expr: self.expr(expr)?,
                alias: Some(ident(alias)),
            }),
            sp::SelectItem::Wildcard(opts) => {
                if opts.opt_except.is_some()
                    || opts.opt_exclude.is_some()
                    || opts.opt_rename.is_some()
                    || opts.opt_replace.is_some()
                    || opts.opt_ilike.is_some()
                {
                    return self.invalid("not Flink SQL: * with modifiers", i.span());
                }
                Ok(SelectItem::Wildcard)
            }
            sp::SelectItem::QualifiedWildcard(sp::SelectItemQualifiedWildcardKind::ObjectName(n), _) => {
                Ok(SelectItem::QualifiedWildcard(self.object_name(n)?))
            }
            _ => self.invalid(format!("not Flink SQL: {i}"), i.span()),
        }
    }

    fn table_with_joins(&self, t: &sp::TableWithJoins) -> Result<TableRef> {
        let mut left = self.table_factor(&t.relation)?;
        for j in &t.joins {
            let right = self.table_factor(&j.relation)?;
            let span = || j.relation.span();
            let (kind, c) = match &j.join_operator {
                sp::JoinOperator::Join(c) | sp::JoinOperator::Inner(c) => (JoinKind::Inner, c),
                sp::JoinOperator::Left(c) | sp::JoinOperator::LeftOuter(c) => (JoinKind::Left, c),
                sp::JoinOperator::Right(c) | sp::JoinOperator::RightOuter(c) => (JoinKind::Right, c),
                sp::JoinOperator::FullOuter(c) => (JoinKind::Full, c),
                sp::JoinOperator::CrossJoin(c) => (JoinKind::Cross, c),
                other => {
                    return self.unsupported(format!("join kind {other:?}"), span);
                }
            };
            let on = match c {
                sp::JoinConstraint::On(e) => Some(self.expr(e)?),
                sp::JoinConstraint::None => None,
                sp::JoinConstraint::Using(_) => {
                    return self.unsupported("JOIN ... USING is not supported yet; use ON", span);
                }
                sp::JoinConstraint::Natural => {
                    return self.unsupported("NATURAL JOIN is not supported", span);
                }
            };
            if on.is_none() && kind != JoinKind::Cross {
                return self.invalid("a JOIN needs an ON condition", span);
            }
            if on.is_some() && kind == JoinKind::Cross {
                return self.invalid("CROSS JOIN takes no ON condition", span);
            }
            left = TableRef::Join {
                left: Box::new(left),
                right: Box::new(right),
                kind,
                on,
            };
        }
        Ok(left)
    }

    fn table_factor(&self, f: &sp::TableFactor) -> Result<TableRef> {
        let span = || f.span();
        match f {
            sp::TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                with_ordinality,
                partitions,
                json_path,
                sample,
                index_hints,
            } => {
                if let (Some(args), [sp::ObjectNamePart::Identifier(word)]) = (args, name.0.as_slice())
                    && word.quote_style.is_none()
                    && word.value.eq_ignore_ascii_case("UNNEST")
                {
                    return self.unnest(args, *with_ordinality, alias, span());
                }
                if args.is_some() {
                    return self.unsupported(
                        "table functions in FROM are not supported yet (window functions are written TABLE(TUMBLE(..)))",
                        span,
                    );
                }
                if !with_hints.is_empty()
                    || matches!(version, Some(v) if !matches!(v, sp::TableVersion::ForSystemTimeAsOf(_)))
                    || *with_ordinality
                    || !partitions.is_empty()
                    || json_path.is_some()
                    || sample.is_some()
                    || !index_hints.is_empty()
                {
                    return self.invalid("not Flink SQL: table modifiers", span);
                }
                if let Some(sp::TableVersion::ForSystemTimeAsOf(as_of)) = version {
                    return Ok(TableRef::Versioned {
                        name: self.object_name(name)?,
                        as_of: self.expr(as_of)?,
                        alias: self.alias(alias)?,
                        loc: Loc(Some(self.pos_of(span))),
                    });
                }
                Ok(TableRef::Table {
                    name: self.object_name(name)?,
                    alias: self.alias(alias)?,
                    options: self.table_hints.take(name.span().end),
                    loc: Loc(Some(self.pos_of(span))),
                })
            }
            sp::TableFactor::Derived {
                lateral,
                subquery,
                alias,
                sample,
            } => {
                if *lateral || sample.is_some() {
                    return self.unsupported("LATERAL subqueries are not supported yet", span);
                }
                Ok(TableRef::Derived {
                    query: Box::new(self.query(subquery)?),
                    alias: self.alias(alias)?,
                })
            }
            sp::TableFactor::TableFunction { expr, alias } => Ok(TableRef::Window {
                tvf: Box::new(self.window_tvf(expr)?),
                alias: self.alias(alias)?,
            }),
            sp::TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                if alias.is_some() {
                    return self.unsupported("an alias on a parenthesized join", span);
                }
                self.table_with_joins(table_with_joins)
            }
            sp::TableFactor::Function { lateral: true, .. } => self.unsupported(
                "LATERAL TABLE (user-defined table functions) is not supported yet",
                span,
            ),
            // Only sqlparser's own dialects parse this shape; ours reads `UNNEST(..)` as a table
            // function (below).
            sp::TableFactor::UNNEST { .. } => self.invalid("not Flink SQL: this form of UNNEST", span),
            sp::TableFactor::MatchRecognize { .. } => {
                self.unsupported("MATCH_RECOGNIZE is not supported yet", span)
            }
            _ => self.invalid(format!("not Flink SQL in FROM: {f}"), span),
        }
    }

    /// `UNNEST(collection) [WITH ORDINALITY] [AS] alias [(col, ...)]`, which the Flink dialect
    /// parses as a call of a table function named `UNNEST`.
    fn unnest(
        &self,
        args: &sp::TableFunctionArgs,
        with_ordinality: bool,
        alias: &Option<sp::TableAlias>,
        span: Span,
    ) -> Result<TableRef> {
        if args.settings.is_some() {
            return self.invalid("not Flink SQL: SETTINGS in UNNEST", span);
        }
        let arg = |a: &sp::FunctionArg| match a {
            sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(e)) => self.expr(e),
            other => self.invalid(format!("UNNEST takes a collection, not {other}"), span),
        };
        // Flink 2.3 accepts several collections but fails planning them (an index out of
        // bounds), so one collection is all that is meaningful.
        let collection = match args.args.as_slice() {
            [one] => arg(one)?,
            [] => return self.invalid("UNNEST needs a collection: UNNEST(array_or_map)", span),
            [_, ..] => {
                return self.unsupported(
                    "UNNEST of several collections; unnest each in a CROSS JOIN UNNEST(..) of its own",
                    span,
                );
            }
        };
        Ok(TableRef::Unnest {
            collection,
            with_ordinality,
            alias: self.alias(alias)?,
            loc: Loc(Some(self.pos_of(span))),
        })
    }

    /// `TUMBLE(TABLE t, DESCRIPTOR(ts), size [, offset])` and the other window functions, with
    /// positional or named (`DATA => .., TIMECOL => .., SIZE => ..`) arguments.
    fn window_tvf(&self, e: &sp::Expr) -> Result<WindowTvf> {
        let span = || e.span();
        let sp::Expr::Function(f) = e else {
            return self.unsupported(
                "TABLE(..) in FROM takes a window function: TUMBLE, HOP, CUMULATE or SESSION",
                span,
            );
        };
        let name = self.object_name(&f.name)?;
        let fname = name.base().to_ascii_uppercase();
        let params: &[&str] = match fname.as_str() {
            "TUMBLE" => &["DATA", "TIMECOL", "SIZE", "OFFSET"],
            "HOP" => &["DATA", "TIMECOL", "SLIDE", "SIZE", "OFFSET"],
            "CUMULATE" => &["DATA", "TIMECOL", "STEP", "SIZE", "OFFSET"],
            "SESSION" => &["DATA", "TIMECOL", "GAP"],
            _ => {
                return self.unsupported(
                    format!(
                        "TABLE({name}(..)): only the window functions TUMBLE, HOP, CUMULATE and SESSION are supported"
                    ),
                    span,
                );
            }
        };
        if f.over.is_some() || f.filter.is_some() || !f.within_group.is_empty() {
            return self.invalid(format!("not valid on {fname}"), span);
        }
        let sp::FunctionArguments::List(list) = &f.args else {
            return self.invalid(format!("{fname} needs arguments"), span);
        };
        if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
            return self.invalid(format!("not valid in {fname}(..)"), span);
        }
        // Slot arguments by position or name.
        let mut slots: Vec<Option<&sp::Expr>> = vec![None; params.len()];
        let mut named = false;
        for (i, a) in list.args.iter().enumerate() {
            let (slot, arg) = match a {
                sp::FunctionArg::Unnamed(arg) => {
                    if named {
                        return self
                            .invalid(format!("{fname}: a positional argument after a named one"), span);
                    }
                    (i, arg)
                }
                sp::FunctionArg::Named { name, arg, .. } => {
                    named = true;
                    let upper = name.value.to_ascii_uppercase();
                    let Some(slot) = params.iter().position(|p| *p == upper) else {
                        return self.invalid(
                            format!(
                                "{fname} has no parameter {}; its parameters are {}",
                                name.value,
                                params.join(", ")
                            ),
                            name.span,
                        );
                    };
                    (slot, arg)
                }
                sp::FunctionArg::ExprNamed { .. } => {
                    return self.invalid(format!("not valid in {fname}(..)"), span);
                }
            };
            if slot >= params.len() {
                return self.invalid(
                    format!(
                        "{fname} takes at most {} arguments ({})",
                        params.len(),
                        params.join(", ")
                    ),
                    span,
                );
            }
            let sp::FunctionArgExpr::Expr(arg) = arg else {
                return self.invalid(format!("{fname}: * is not an argument"), span);
            };
            if slots[slot].is_some() {
                return self.invalid(format!("{fname}: {} given twice", params[slot]), span);
            }
            slots[slot] = Some(arg);
        }
        let required = if fname == "SESSION" { 3 } else { params.len() - 1 };
        if let Some(missing) = (0..required).find(|i| slots[*i].is_none()) {
            return self.invalid(
                format!(
                    "{fname} needs the argument {} ({})",
                    params[missing],
                    params.join(", ")
                ),
                span,
            );
        }
        let arg = |i: usize| slots.get(i).copied().flatten();
        // DATA: TABLE t [PARTITION BY ..]
        let (table, partition_by) = match arg(0) {
            Some(sp::Expr::Prefixed { prefix, value }) if prefix.value == TABLE_ARG => {
                self.table_arg(value)?
            }
            Some(other) => {
                return self.invalid(
                    format!("{fname}: the first argument must be TABLE name, found {other}"),
                    other.span(),
                );
            }
            None => return self.invalid(format!("{fname} needs TABLE name"), span),
        };
        if !partition_by.is_empty() && fname != "SESSION" {
            return self.invalid(format!("{fname} takes no PARTITION BY"), span);
        }
        // TIMECOL: DESCRIPTOR(col)
        let time_col = match arg(1) {
            Some(sp::Expr::Function(d)) if d.name.to_string().eq_ignore_ascii_case("DESCRIPTOR") => {
                match &d.args {
                    sp::FunctionArguments::List(l) if l.args.len() == 1 => match &l.args[0] {
                        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(sp::Expr::Identifier(i))) => {
                            ident(i)
                        }
                        _ => {
                            return self.invalid("DESCRIPTOR takes one column name", d.span());
                        }
                    },
                    _ => return self.invalid("DESCRIPTOR takes one column name", d.span()),
                }
            }
            Some(other) => {
                return self.invalid(
                    format!("{fname}: the time column must be written DESCRIPTOR(column), found {other}"),
                    other.span(),
                );
            }
            None => return self.invalid(format!("{fname} needs DESCRIPTOR(column)"), span),
        };
        let conv = |i: usize| -> Result<Expr> {
            match arg(i) {
                Some(e) => self.expr(e),
                None => self.invalid(format!("{fname} needs {}", params[i]), span),
            }
        };
        let conv_opt = |i: usize| arg(i).map(|e| self.expr(e)).transpose();
        let kind = match fname.as_str() {
            "TUMBLE" => WindowKind::Tumble {
                size: conv(2)?,
                offset: conv_opt(3)?,
            },
            "HOP" => WindowKind::Hop {
                slide: conv(2)?,
                size: conv(3)?,
                offset: conv_opt(4)?,
            },
            "CUMULATE" => WindowKind::Cumulate {
                step: conv(2)?,
                size: conv(3)?,
                offset: conv_opt(4)?,
            },
            _ => WindowKind::Session { gap: conv(2)? },
        };
        Ok(WindowTvf {
            table,
            partition_by,
            time_col,
            kind,
            loc: Loc(Some(self.pos_of(span))),
        })
    }

    fn table_arg(&self, value: &sp::Expr) -> Result<(ObjectName, Vec<Ident>)> {
        if let sp::Expr::Tuple(parts) = value
            && let [sp::Expr::CompoundIdentifier(name), sp::Expr::Tuple(keys)] = parts.as_slice()
        {
            let keys = keys
                .iter()
                .map(|k| match k {
                    sp::Expr::Identifier(i) => Ok(ident(i)),
                    other => self.invalid("PARTITION BY takes column names", other.span()),
                })
                .collect::<Result<Vec<_>>>()?;
            return Ok((ObjectName(name.iter().map(ident).collect()), keys));
        }
        self.invalid("TABLE takes a table name", value.span())
    }

    // ---- expressions ------------------------------------------------------------------------

    fn boxed(&self, e: &sp::Expr) -> Result<Box<Expr>> {
        Ok(Box::new(self.expr(e)?))
    }

    fn expr(&self, e: &sp::Expr) -> Result<Expr> {
        let _depth = self.enter()?;
        let span = || e.span();
        Ok(match e {
            sp::Expr::Identifier(i) => Expr::Column(vec![self.column_part(i)?]),
            sp::Expr::CompoundIdentifier(parts) => {
                Expr::Column(parts.iter().map(|p| self.column_part(p)).collect::<Result<_>>()?)
            }
            sp::Expr::Value(v) => Expr::Literal(self.value(&v.value, span)?),
            sp::Expr::Nested(inner) => Expr::Nested(self.boxed(inner)?),
            sp::Expr::UnaryOp { op, expr } => {
                let op = match op {
                    sp::UnaryOperator::Not => UnaryOp::Not,
                    sp::UnaryOperator::Minus => UnaryOp::Minus,
                    sp::UnaryOperator::Plus => UnaryOp::Plus,
                    other => return self.invalid(format!("not Flink SQL: operator {other}"), span),
                };
                Expr::Unary {
                    op,
                    expr: self.boxed(expr)?,
                }
            }
            sp::Expr::BinaryOp {
                left,
                op: sp::BinaryOperator::Overlaps,
                right,
            } => {
                let (sp::Expr::Tuple(l), sp::Expr::Tuple(r)) = (&**left, &**right) else {
                    return self.invalid("OVERLAPS takes two periods: (start, end or interval) OVERLAPS (start, end or interval)", span);
                };
                if l.len() != 2 || r.len() != 2 {
                    return self.invalid("OVERLAPS takes two periods of two values each", span);
                }
                Expr::Overlaps(l.iter().chain(r).map(|e| self.expr(e)).collect::<Result<_>>()?)
            }
            sp::Expr::BinaryOp { left, op, right } => {
                let op = match op {
                    sp::BinaryOperator::Plus => BinaryOp::Plus,
                    sp::BinaryOperator::Minus => BinaryOp::Minus,
                    sp::BinaryOperator::Multiply => BinaryOp::Multiply,
                    sp::BinaryOperator::Divide => BinaryOp::Divide,
                    sp::BinaryOperator::Modulo => BinaryOp::Modulo,
                    sp::BinaryOperator::StringConcat => BinaryOp::Concat,
                    sp::BinaryOperator::Eq => BinaryOp::Eq,
                    sp::BinaryOperator::NotEq => BinaryOp::NotEq,
                    sp::BinaryOperator::Lt => BinaryOp::Lt,
                    sp::BinaryOperator::LtEq => BinaryOp::LtEq,
                    sp::BinaryOperator::Gt => BinaryOp::Gt,
                    sp::BinaryOperator::GtEq => BinaryOp::GtEq,
                    sp::BinaryOperator::And => BinaryOp::And,
                    sp::BinaryOperator::Or => BinaryOp::Or,
                    other => return self.invalid(format!("not Flink SQL: operator {other}"), span),
                };
                Expr::Binary {
                    left: self.boxed(left)?,
                    op,
                    right: self.boxed(right)?,
                }
            }
            sp::Expr::IsNull(x) => Expr::IsNull {
                expr: self.boxed(x)?,
                negated: false,
            },
            sp::Expr::IsNotNull(x) => Expr::IsNull {
                expr: self.boxed(x)?,
                negated: true,
            },
            sp::Expr::IsJson {
                expr,
                kind,
                unique_keys,
                negated,
            } => {
                if unique_keys.is_some() {
                    return self.unsupported("IS JSON .. WITH|WITHOUT UNIQUE KEYS", span());
                }
                Expr::IsJson {
                    expr: self.boxed(expr)?,
                    kind: match kind {
                        None | Some(sp::JsonPredicateType::Value) => JsonKind::Value,
                        Some(sp::JsonPredicateType::Scalar) => JsonKind::Scalar,
                        Some(sp::JsonPredicateType::Array) => JsonKind::Array,
                        Some(sp::JsonPredicateType::Object) => JsonKind::Object,
                    },
                    negated: *negated,
                }
            }
            sp::Expr::IsUnknown(x) => Expr::IsUnknown {
                expr: self.boxed(x)?,
                negated: false,
            },
            sp::Expr::IsNotUnknown(x) => Expr::IsUnknown {
                expr: self.boxed(x)?,
                negated: true,
            },
            sp::Expr::IsDistinctFrom(l, r) => Expr::IsDistinctFrom {
                left: self.boxed(l)?,
                right: self.boxed(r)?,
                negated: false,
            },
            sp::Expr::IsNotDistinctFrom(l, r) => Expr::IsDistinctFrom {
                left: self.boxed(l)?,
                right: self.boxed(r)?,
                negated: true,
            },
            sp::Expr::IsTrue(x) => self.is_bool(x, true, false)?,
            sp::Expr::IsNotTrue(x) => self.is_bool(x, true, true)?,
            sp::Expr::IsFalse(x) => self.is_bool(x, false, false)?,
            sp::Expr::IsNotFalse(x) => self.is_bool(x, false, true)?,
            sp::Expr::InList { expr, list, negated } => Expr::InList {
                expr: self.boxed(expr)?,
                list: list.iter().map(|x| self.expr(x)).collect::<Result<_>>()?,
                negated: *negated,
            },
            sp::Expr::InSubquery {
                expr,
                subquery,
                negated,
            } => Expr::InSubquery {
                expr: self.boxed(expr)?,
                query: Box::new(self.query(subquery)?),
                negated: *negated,
            },
            sp::Expr::Exists { subquery, negated } => Expr::Exists {
                query: Box::new(self.query(subquery)?),
                negated: *negated,
            },
            sp::Expr::Subquery(q) => Expr::Subquery(Box::new(self.query(q)?)),
            sp::Expr::Between {
                expr,
                negated,
                low,
                high,
            } => Expr::Between {
                expr: self.boxed(expr)?,
                negated: *negated,
                low: self.boxed(low)?,
                high: self.boxed(high)?,
            },
            sp::Expr::Like {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => {
                if *any {
                    return self.invalid("not Flink SQL: LIKE ANY", span);
                }
                let escape = match escape_char.as_deref() {
                    None => None,
                    Some(sp::Expr::Value(v)) => match &v.value {
                        sp::Value::SingleQuotedString(s) => Some(s.clone()),
                        _ => return self.invalid("ESCAPE takes a string", span),
                    },
                    Some(_) => return self.invalid("ESCAPE takes a string", span),
                };
                Expr::Like {
                    expr: self.boxed(expr)?,
                    negated: *negated,
                    similar: false,
                    pattern: self.boxed(pattern)?,
                    escape,
                }
            }
            sp::Expr::SimilarTo {
                negated,
                expr,
                pattern,
                escape_char,
            } => {
                let escape = match escape_char.as_deref() {
                    None => None,
                    Some(sp::Expr::Value(v)) => match &v.value {
                        sp::Value::SingleQuotedString(s) => Some(s.clone()),
                        _ => return self.invalid("ESCAPE takes a string", span),
                    },
                    Some(_) => return self.invalid("ESCAPE takes a string", span),
                };
                Expr::Like {
                    expr: self.boxed(expr)?,
                    negated: *negated,
                    similar: true,
                    pattern: self.boxed(pattern)?,
                    escape,
                }
            }
            sp::Expr::Cast {
                kind,
                expr,
                data_type,
                format,
            } => {
                let try_cast = match kind {
                    sp::CastKind::Cast => false,
                    sp::CastKind::TryCast => true,
                    _ => return self.invalid("not Flink SQL: this cast syntax", span),
                };
                if format.is_some() {
                    return self.invalid("not Flink SQL: CAST ... FORMAT", span);
                }
                let text = match data_type {
                    sp::DataType::Custom(name, _) => {
                        name.to_string().strip_prefix(CAST_TYPE).map(str::to_string)
                    }
                    _ => None,
                };
                let Some(text) = text else {
                    return self.invalid("not Flink SQL: this cast syntax", span);
                };
                Expr::Cast {
                    expr: self.boxed(expr)?,
                    ty: parse_type_text(text.trim(), self.pos_of(span))?,
                    try_cast,
                }
            }
            sp::Expr::Extract { field, expr, .. } => Expr::Extract {
                unit: self.time_unit(field, span)?,
                expr: self.boxed(expr)?,
            },
            sp::Expr::Ceil { expr, field } | sp::Expr::Floor { expr, field } => {
                let ceil = matches!(e, sp::Expr::Ceil { .. });
                let name = if ceil { "CEIL" } else { "FLOOR" };
                match field {
                    sp::CeilFloorKind::DateTimeField(sp::DateTimeField::NoDateTime) => {
                        Expr::Function(Function {
                            name: ObjectName::simple(name),
                            args: vec![self.expr(expr)?],
                            distinct: false,
                            filter: None,
                            ignore_nulls: false,
                            parens: true,
                            over: None,
                        })
                    }
                    sp::CeilFloorKind::DateTimeField(f) => Expr::FloorCeil {
                        ceil,
                        expr: self.boxed(expr)?,
                        unit: self.time_unit(f, span)?,
                    },
                    sp::CeilFloorKind::Scale(_) => {
                        return self.invalid(format!("not Flink SQL: {name}(x, scale)"), span);
                    }
                }
            }
            sp::Expr::Position { expr, r#in } => Expr::Position {
                needle: self.boxed(expr)?,
                haystack: self.boxed(r#in)?,
            },
            sp::Expr::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let mut args = vec![self.expr(expr)?];
                if let Some(f) = substring_from {
                    args.push(self.expr(f)?);
                }
                if let Some(f) = substring_for {
                    args.push(self.expr(f)?);
                }
                Expr::Function(Function {
                    name: ObjectName::simple("SUBSTRING"),
                    args,
                    distinct: false,
                    filter: None,
                    ignore_nulls: false,
                    parens: true,
                    over: None,
                })
            }
            sp::Expr::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => Expr::Overlay {
                expr: self.boxed(expr)?,
                placing: self.boxed(overlay_what)?,
                from: self.boxed(overlay_from)?,
                length: overlay_for.as_deref().map(|l| self.boxed(l)).transpose()?,
            },
            sp::Expr::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                if trim_characters.is_some() {
                    return self.invalid("not Flink SQL: TRIM(x, chars)", span);
                }
                Expr::Trim {
                    side: trim_where.as_ref().map(|w| match w {
                        sp::TrimWhereField::Both => TrimSide::Both,
                        sp::TrimWhereField::Leading => TrimSide::Leading,
                        sp::TrimWhereField::Trailing => TrimSide::Trailing,
                    }),
                    chars: trim_what.as_deref().map(|w| self.boxed(w)).transpose()?,
                    expr: self.boxed(expr)?,
                }
            }
            sp::Expr::TypedString(ts) => {
                let text = match &ts.value.value {
                    sp::Value::SingleQuotedString(s) => s.clone(),
                    _ => return self.invalid("a typed literal takes a string", span),
                };
                match &ts.data_type {
                    sp::DataType::Date => Expr::Literal(Literal::Date(text)),
                    sp::DataType::Time(..) => Expr::Literal(Literal::Time(text)),
                    sp::DataType::Timestamp(..) => Expr::Literal(Literal::Timestamp(text)),
                    other => {
                        return self.invalid(format!("not Flink SQL: {other} literal"), span);
                    }
                }
            }
            sp::Expr::Interval(iv) => self.interval(iv, span)?,
            sp::Expr::Function(f) => self.function(f, span)?,
            sp::Expr::Case {
                operand,
                conditions,
                else_result,
                ..
            } => Expr::Case {
                operand: operand.as_deref().map(|o| self.boxed(o)).transpose()?,
                whens: conditions
                    .iter()
                    .map(|w| Ok((self.expr(&w.condition)?, self.expr(&w.result)?)))
                    .collect::<Result<_>>()?,
                else_result: else_result.as_deref().map(|o| self.boxed(o)).transpose()?,
            },
            sp::Expr::Array(a) => {
                if !a.named {
                    return self.invalid("not Flink SQL: write ARRAY[..]", span);
                }
                Expr::Array(a.elem.iter().map(|x| self.expr(x)).collect::<Result<_>>()?)
            }
            sp::Expr::Map(m) => {
                let mut items = Vec::with_capacity(m.entries.len() * 2);
                for entry in &m.entries {
                    items.push(self.expr(&entry.key)?);
                    items.push(self.expr(&entry.value)?);
                }
                Expr::Map(items)
            }
            sp::Expr::CompoundFieldAccess { root, access_chain } => {
                if access_chain.len() > MAX_DEPTH {
                    return Err(SqlError::parse(
                        format!("the statement nests too deeply (more than {MAX_DEPTH} levels)"),
                        self.fallback,
                    ));
                }
                let mut out = self.expr(root)?;
                for a in access_chain {
                    match a {
                        sp::AccessExpr::Subscript(sp::Subscript::Index { index }) => {
                            out = Expr::Index {
                                expr: Box::new(out),
                                index: self.boxed(index)?,
                            };
                        }
                        _ => {
                            return self.unsupported("field access on an expression is not supported", span);
                        }
                    }
                }
                out
            }
            sp::Expr::Prefixed { prefix, .. } if prefix.value == TABLE_ARG => {
                return self.invalid(
                    "TABLE name is only valid as the first argument of a window function in TABLE(..)",
                    span,
                );
            }
            sp::Expr::Wildcard(_) => Expr::Wildcard,
            sp::Expr::Tuple(_) => {
                return self.unsupported("row constructors without ROW are not supported", span);
            }
            other => {
                return self.unsupported(format!("expression {other}"), span);
            }
        })
    }

    /// A part of a column reference; reserved words must be back-quoted.
    fn column_part(&self, i: &sp::Ident) -> Result<Ident> {
        if i.quote_style.is_none() && crate::ident::is_reserved(&i.value) {
            return self.invalid(format!("Expected: an expression, found: {}", i.value), i.span);
        }
        Ok(ident(i))
    }

    fn is_bool(&self, x: &sp::Expr, value: bool, negated: bool) -> Result<Expr> {
        Ok(Expr::IsBool {
            expr: self.boxed(x)?,
            value,
            negated,
        })
    }

    fn value(&self, v: &sp::Value, span: impl At) -> Result<Literal> {
        Ok(match v {
            sp::Value::Number(n, false) => Literal::Number(n.clone()),
            sp::Value::SingleQuotedString(s) => Literal::String(s.clone()),
            sp::Value::Boolean(b) => Literal::Boolean(*b),
            sp::Value::Null => Literal::Null,
            sp::Value::DoubleQuotedString(_) => {
                return self.invalid(
                    "double quotes are not Flink SQL: strings take single quotes, identifiers back quotes",
                    span,
                );
            }
            other => return self.invalid(format!("not a Flink SQL literal: {other}"), span),
        })
    }

    fn time_unit(&self, f: &sp::DateTimeField, span: impl At) -> Result<TimeUnit> {
        use sp::DateTimeField as F;
        Ok(match f {
            F::Year | F::Years => TimeUnit::Year,
            F::Quarter => TimeUnit::Quarter,
            F::Month | F::Months => TimeUnit::Month,
            F::Week(None) | F::Weeks => TimeUnit::Week,
            F::Day | F::Days => TimeUnit::Day,
            F::Hour | F::Hours => TimeUnit::Hour,
            F::Minute | F::Minutes => TimeUnit::Minute,
            F::Second | F::Seconds => TimeUnit::Second,
            F::Millisecond | F::Milliseconds => TimeUnit::Millisecond,
            F::Microsecond | F::Microseconds => TimeUnit::Microsecond,
            F::Nanosecond | F::Nanoseconds => TimeUnit::Nanosecond,
            F::Dow => TimeUnit::DayOfWeek,
            F::Doy => TimeUnit::DayOfYear,
            F::Epoch => TimeUnit::Epoch,
            F::Decade => TimeUnit::Decade,
            F::Century => TimeUnit::Century,
            F::Millenium | F::Millennium => TimeUnit::Millennium,
            F::Isodow => TimeUnit::IsoDayOfWeek,
            F::Isoyear => TimeUnit::IsoYear,
            other => return self.invalid(format!("not a Flink time unit: {other}"), span),
        })
    }

    fn interval(&self, iv: &sp::Interval, span: impl At) -> Result<Expr> {
        let value = match iv.value.as_ref() {
            sp::Expr::Value(v) => match &v.value {
                sp::Value::SingleQuotedString(s) => s.clone(),
                _ => return self.invalid("INTERVAL takes a quoted value: INTERVAL '10' SECOND", span),
            },
            _ => return self.invalid("INTERVAL takes a quoted value: INTERVAL '10' SECOND", span),
        };
        if iv.leading_precision.is_some() || iv.fractional_seconds_precision.is_some() {
            return self.unsupported("interval precisions are not supported", span);
        }
        let Some(leading) = &iv.leading_field else {
            return self.invalid("INTERVAL needs a unit: INTERVAL '10' SECOND", span);
        };
        let unit = self.time_unit(leading, span)?;
        let to = iv
            .last_field
            .as_ref()
            .map(|f| self.time_unit(f, span))
            .transpose()?;
        let interval_unit = |u: TimeUnit| {
            matches!(
                u,
                TimeUnit::Year
                    | TimeUnit::Month
                    | TimeUnit::Day
                    | TimeUnit::Hour
                    | TimeUnit::Minute
                    | TimeUnit::Second
            )
        };
        if !interval_unit(unit) || to.is_some_and(|t| !interval_unit(t)) {
            return self.invalid(
                "an INTERVAL unit is YEAR, MONTH, DAY, HOUR, MINUTE or SECOND",
                span,
            );
        }
        Ok(Expr::Interval { value, unit, to })
    }

    /// `JSON_EXISTS` / `JSON_QUERY` as the dialect hands them over: the JSON, the path and the
    /// clauses, if written, as a string of the dialect's form.
    fn json_query(&self, upper: &str, l: &sp::FunctionArgumentList, span: impl At) -> Result<Expr> {
        use crate::ast::{JsonExistsOnError, JsonQueryBehavior, JsonWrapper};
        let exprs: Vec<&sp::Expr> = l
            .args
            .iter()
            .filter_map(|a| match a {
                sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(x)) => Some(x),
                _ => None,
            })
            .collect();
        let clauses = match exprs.get(2) {
            Some(sp::Expr::Value(v)) => match &v.value {
                sp::Value::SingleQuotedString(s) => s.strip_prefix(super::dialect::JSON_CLAUSES),
                _ => None,
            },
            _ => None,
        };
        let (Some(json), Some(path), true) =
            (exprs.first(), exprs.get(1), exprs.len() == 2 || clauses.is_some())
        else {
            return self.invalid(format!("{upper} takes (json, path) and its clauses"), span);
        };
        let (json, path) = (self.boxed(json)?, self.boxed(path)?);
        let behavior = |b: &str| match b {
            "EMPTY ARRAY" => JsonQueryBehavior::EmptyArray,
            "EMPTY OBJECT" => JsonQueryBehavior::EmptyObject,
            "ERROR" => JsonQueryBehavior::Error,
            _ => JsonQueryBehavior::Null,
        };
        let (mut exists_on_error, mut wrapper) = (JsonExistsOnError::False, JsonWrapper::Without);
        let (mut on_empty, mut on_error) = (JsonQueryBehavior::Null, JsonQueryBehavior::Null);
        for clause in clauses
            .into_iter()
            .flat_map(|c| c.split(';'))
            .filter(|c| !c.is_empty())
        {
            if let Some(b) = clause.strip_prefix("ON ERROR ") {
                exists_on_error = match b {
                    "TRUE" => JsonExistsOnError::True,
                    "UNKNOWN" => JsonExistsOnError::Unknown,
                    "ERROR" => JsonExistsOnError::Error,
                    _ => JsonExistsOnError::False,
                };
                on_error = behavior(b);
            } else if let Some(b) = clause.strip_prefix("ON EMPTY ") {
                on_empty = behavior(b);
            } else if let Some(w) = clause.strip_prefix("WRAPPER ") {
                wrapper = match w {
                    "CONDITIONAL" => JsonWrapper::Conditional,
                    "UNCONDITIONAL" => JsonWrapper::Unconditional,
                    _ => JsonWrapper::Without,
                };
            }
        }
        Ok(if upper == "JSON_EXISTS" {
            Expr::JsonExists {
                json,
                path,
                on_error: exists_on_error,
            }
        } else {
            Expr::JsonQuery {
                json,
                path,
                wrapper,
                on_empty,
                on_error,
            }
        })
    }

    /// `JSON_OBJECT` / `JSON_ARRAY` as the dialect hands them over: keys and values in turn (or
    /// the values) and the `ON NULL` clause if written.
    fn json_constructor(&self, upper: &str, l: &sp::FunctionArgumentList, span: impl At) -> Result<Expr> {
        let object = upper == "JSON_OBJECT";
        let absent_on_null = match l.clauses.as_slice() {
            [] => !object,
            [sp::FunctionArgumentClause::JsonNullClause(c)] => matches!(c, sp::JsonNullClause::AbsentOnNull),
            _ => return self.invalid(format!("{upper} takes only NULL ON NULL or ABSENT ON NULL"), span),
        };
        let mut args = Vec::with_capacity(l.args.len());
        for a in &l.args {
            match a {
                sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(x)) => args.push(self.expr(x)?),
                _ => return self.invalid(format!("not Flink SQL: {a} in {upper}"), span),
            }
        }
        Ok(if object {
            let mut entries = Vec::with_capacity(args.len() / 2);
            let mut it = args.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                entries.push((k, v));
            }
            Expr::JsonObject {
                entries,
                absent_on_null,
            }
        } else {
            Expr::JsonArray {
                values: args,
                absent_on_null,
            }
        })
    }

    fn function(&self, f: &sp::Function, span: impl At) -> Result<Expr> {
        let name = self.object_name(&f.name)?;
        let over = match &f.over {
            None => None,
            Some(sp::WindowType::NamedWindow(name)) => Some(Over::Named(ident(name))),
            Some(sp::WindowType::WindowSpec(spec)) => Some(Over::Window(self.window_def(spec)?)),
        };
        if !f.within_group.is_empty() || f.null_treatment.is_some() || f.uses_odbc_syntax {
            return self.invalid(format!("not Flink SQL: {f}"), span);
        }
        if !matches!(f.parameters, sp::FunctionArguments::None) {
            return self.invalid(format!("not Flink SQL: {f}"), span);
        }
        let upper = name.base().to_ascii_uppercase();
        if name.0.len() == 1 && upper == "DESCRIPTOR" {
            return self.invalid(
                "DESCRIPTOR(..) is only valid as a window function's time column argument",
                span,
            );
        }
        if name.0.len() == 1
            && matches!(upper.as_str(), "TUMBLE" | "HOP" | "CUMULATE" | "SESSION")
            && let sp::FunctionArguments::List(l) = &f.args
            && l.args.iter().any(|a| {
                matches!(a, sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(sp::Expr::Prefixed { prefix, .. }))
                    | sp::FunctionArg::Named { arg: sp::FunctionArgExpr::Expr(sp::Expr::Prefixed { prefix, .. }), .. }
                    if prefix.value == TABLE_ARG)
            })
        {
            return self.invalid(
                format!("a window table function is written in FROM as TABLE({upper}(TABLE t, ..))"),
                span,
            );
        }
        let filter = f.filter.as_deref().map(|x| self.boxed(x)).transpose()?;
        let (args, distinct, ignore_nulls, parens) = match &f.args {
            sp::FunctionArguments::None => (Vec::new(), false, false, false),
            sp::FunctionArguments::Subquery(_) => {
                return self.invalid(format!("not Flink SQL: {f}"), span);
            }
            sp::FunctionArguments::List(l) => {
                // JSON_VALUE(json, path RETURNING type): the value cast to the type.
                if upper == "JSON_VALUE"
                    && let [sp::FunctionArgumentClause::JsonReturningClause(r)] = l.clauses.as_slice()
                {
                    let mut plain = f.clone();
                    if let sp::FunctionArguments::List(pl) = &mut plain.args {
                        pl.clauses.clear();
                    }
                    let ty = parse_type_text(&r.data_type.to_string(), self.pos_of(span))?;
                    return Ok(Expr::Cast {
                        expr: Box::new(self.function(&plain, span)?),
                        ty,
                        try_cast: false,
                    });
                }
                if name.0.len() == 1
                    && matches!(upper.as_str(), "JSON_EXISTS" | "JSON_QUERY")
                    && l.clauses.is_empty()
                {
                    return self.json_query(&upper, l, span);
                }
                if name.0.len() == 1 && matches!(upper.as_str(), "JSON_OBJECT" | "JSON_ARRAY") {
                    return self.json_constructor(&upper, l, span);
                }
                // `ARRAY_AGG(x [IGNORE NULLS | RESPECT NULLS] [ORDER BY ..])`, as Flink takes
                // it: Flink 2.3 accepts the ORDER BY and ignores it (its plan drops it; values
                // stay in arrival order), so a pasted job gives Flink's rows. No other function
                // takes these clauses.
                let mut ignore_nulls = false;
                for clause in &l.clauses {
                    match clause {
                        sp::FunctionArgumentClause::IgnoreOrRespectNulls(nulls)
                            if name.0.len() == 1 && upper == "ARRAY_AGG" =>
                        {
                            ignore_nulls = matches!(nulls, sp::NullTreatment::IgnoreNulls);
                        }
                        sp::FunctionArgumentClause::OrderBy(_)
                            if name.0.len() == 1 && upper == "ARRAY_AGG" => {}
                        _ => return self.unsupported(format!("function argument clauses in {f}"), span),
                    }
                }
                let distinct = match l.duplicate_treatment {
                    None | Some(sp::DuplicateTreatment::All) => false,
                    Some(sp::DuplicateTreatment::Distinct) => true,
                };
                // TIMESTAMPADD(unit, n, t) and TIMESTAMPDIFF(unit, a, b) take a time unit first.
                let unit_first =
                    name.0.len() == 1 && matches!(upper.as_str(), "TIMESTAMPADD" | "TIMESTAMPDIFF");
                let args = l
                    .args
                    .iter()
                    .enumerate()
                    .map(|(i, a)| match a {
                        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(sp::Expr::Identifier(
                            u,
                        ))) if unit_first && i == 0 && u.quote_style.is_none() => {
                            unit_arg(&u.value).map(Expr::Unit).map_or_else(
                                || {
                                    self.invalid(
                                        format!(
                                            "{upper} takes a time unit first (YEAR, QUARTER, MONTH, WEEK, DAY, HOUR, MINUTE or SECOND), found {}",
                                            u.value
                                        ),
                                        u.span,
                                    )
                                },
                                Ok,
                            )
                        }
                        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Expr(x)) => self.expr(x),
                        sp::FunctionArg::Unnamed(sp::FunctionArgExpr::Wildcard) => Ok(Expr::Wildcard),
                        _ => self.unsupported(
                            format!("named or qualified-wildcard arguments in {name}(..)"),
                            span,
                        ),
                    })
                    .collect::<Result<Vec<_>>>()?;
                (args, distinct, ignore_nulls, true)
            }
        };
        Ok(Expr::Function(Function {
            name,
            args,
            distinct,
            filter,
            ignore_nulls,
            parens,
            over,
        }))
    }
}
