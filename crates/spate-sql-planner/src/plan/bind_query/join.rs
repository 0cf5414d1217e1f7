//! Joins: `FROM a JOIN b ON ..` into a window join, an interval join (time bounds read off the
//! condition) or a regular inner join of insert-only inputs, with the equi-join keys and the
//! residual condition.

use super::*;

impl Binder<'_> {
    pub(super) fn join(
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

    pub(super) fn join_inputs(
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
        if matches!(right, TableRef::Versioned { .. }) {
            return self.temporal_join(l, right, kind, on);
        }
        let r = self.table_ref(right)?;
        // `a CROSS JOIN b` is an inner join on nothing.
        let kind = if kind == JoinKind::Cross {
            JoinKind::Inner
        } else {
            kind
        };
        join_plans(l, r, kind, on)
    }

    /// `FROM a, b, c WHERE ..`: joined left to right, each join taking the conjuncts of the
    /// `WHERE` that name only the tables joined so far (the equalities become its keys, as in
    /// `JOIN .. ON`); the conjuncts left over, if any, are returned to filter the result.
    pub(super) fn comma_join<'w>(
        &mut self,
        from: &[TableRef],
        selection: Option<&'w Expr>,
    ) -> Result<(LogicalPlan, Vec<&'w Expr>)> {
        let mut left_over: Vec<&Expr> = Vec::new();
        if let Some(w) = selection {
            split_and(w, &mut left_over);
        }
        let Some((first, rest)) = from.split_first() else {
            return Err(SqlError::validation("a FROM clause without tables", None));
        };
        self.enter()?;
        let mut plan = self.table_ref(first);
        for next in rest {
            let Ok(l) = plan else { break };
            if matches!(next, TableRef::Unnest { .. }) {
                plan = bind_unnest(l, next, JoinKind::Cross, None);
                continue;
            }
            // Flink joins a versioned table in the comma form on nothing: the WHERE's equalities
            // do not become its keys, so it has none.
            if matches!(next, TableRef::Versioned { .. }) {
                plan = self.temporal_join(l, next, JoinKind::Cross, None);
                continue;
            }
            plan = self.table_ref(next).and_then(|r| {
                let mut fields = l.schema().fields.clone();
                fields.extend(r.schema().fields.iter().cloned());
                let combined = Schema { fields };
                let scope = RelScope { schema: &combined };
                let (here, later): (Vec<&Expr>, Vec<&Expr>) =
                    left_over.iter().partition(|c| expr::bind(c, &scope).is_ok());
                left_over = later;
                let on = here.into_iter().cloned().reduce(|a, b| Expr::Binary {
                    left: Box::new(a),
                    op: ast::BinaryOp::And,
                    right: Box::new(b),
                });
                let joined = join_plans(l, r, JoinKind::Inner, on.as_ref())?;
                self.budget.charge(1, joined.schema().fields.len())?;
                Ok(joined)
            });
        }
        self.leave();
        Ok((plan?, left_over))
    }
}

/// Joins two bound inputs: a window join, an interval join or a regular join, by what the
/// condition says.
fn join_plans(l: LogicalPlan, r: LogicalPlan, kind: JoinKind, on: Option<&Expr>) -> Result<LogicalPlan> {
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
    let scope = RelScope { schema: &combined };
    let mut conjuncts = Vec::new();
    if let Some(on) = on {
        split_and(on, &mut conjuncts);
    }
    let mut keys: Vec<(BoundExpr, BoundExpr)> = Vec::new();
    // `l.k IS NOT DISTINCT FROM r.k`: a key on which NULL meets NULL (Flink's too), with
    // the conjunct it came from.
    let mut null_safe: Vec<((BoundExpr, BoundExpr), &Expr)> = Vec::new();
    let mut residual: Vec<BoundExpr> = Vec::new();
    let mut bounds = TimeBounds::default();
    let rowtimes = (l.schema().rowtime(), r.schema().rowtime().map(|i| i + lw));
    for c in conjuncts {
        let operands = match c.without_parentheses() {
            Expr::Binary {
                left: a,
                op: ast::BinaryOp::Eq,
                right: b,
            } => Some((a, b, false)),
            Expr::IsDistinctFrom {
                left: a,
                right: b,
                negated: true,
            } => Some((a, b, true)),
            _ => None,
        };
        if let Some((a, b, nulls_meet)) = operands
            && let Some(pair) = key_pair(a, b, &scope, lw)?
        {
            if nulls_meet {
                null_safe.push((pair, c));
            } else {
                keys.push(pair);
            }
            continue;
        }
        if bounds.absorb(c, &scope, rowtimes)? {
            continue;
        }
        let b = expr::bind(c, &scope)?;
        expect_boolean(&b, "ON")?;
        residual.push(b);
    }
    // Window and interval joins key by `=` alone: a NULL-safe equality stays in their
    // residual condition.
    let mut time_residual = residual.clone();
    for (_, c) in &null_safe {
        time_residual.push(expr::bind(c, &scope)?);
    }
    let time_condition = and_all(time_residual);
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
                condition: time_condition,
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
            condition: time_condition,
            kind,
            schema: combined,
        });
    }
    // A regular join. Without equi-join keys every row has the same (empty) key, so one
    // task joins everything, as Flink's `Exchange(distribution=[single])` does. Time
    // attributes do not survive a regular join (Flink's rule).
    let mut schema = combined;
    for f in &mut schema.fields {
        f.time = None;
    }
    let mut nulls_meet = vec![false; keys.len()];
    for (pair, _) in null_safe {
        keys.push(pair);
        nulls_meet.push(true);
    }
    Ok(LogicalPlan::RegularJoin {
        left: Box::new(l),
        right: Box::new(r),
        keys,
        nulls_meet,
        condition,
        kind,
        state_ttl: (None, None),
        schema,
    })
}

/// `a = b` as a join key: the left side's expression and the right side's (over the right
/// input's own columns), both of their common type; `None` when `a` and `b` are not one of each
/// side.
pub(super) fn key_pair(
    a: &Expr,
    b: &Expr,
    scope: &RelScope<'_>,
    left_width: usize,
) -> Result<Option<(BoundExpr, BoundExpr)>> {
    let (ba, bb) = (expr::bind(a, scope)?, expr::bind(b, scope)?);
    let (lk, rk) = match (side_of(&ba, left_width), side_of(&bb, left_width)) {
        (Side::Left, Side::Right) => (ba, bb),
        (Side::Right, Side::Left) => (bb, ba),
        _ => return Ok(None),
    };
    let common = expr::common_type([lk.ty(), rk.ty()].into_iter(), "join key")?;
    let rk = expr::coerce(rk, &common).map_columns(&|i| i - left_width);
    Ok(Some((expr::coerce(lk, &common), rk)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Left,
    Right,
    Both,
    Neither,
}

pub(super) fn side_of(e: &BoundExpr, left_width: usize) -> Side {
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

pub(super) fn split_and<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
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

pub(super) fn and_all(mut parts: Vec<BoundExpr>) -> Option<BoundExpr> {
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
pub(super) struct TimeBounds {
    pub(super) lower: Option<i64>,
    pub(super) upper: Option<i64>,
}

impl TimeBounds {
    /// Takes `c` if it bounds the two rowtimes; `false` leaves it to the caller.
    pub(super) fn absorb(
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

pub(super) fn flip(op: ast::BinaryOp) -> ast::BinaryOp {
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
pub(super) fn time_operand(
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
