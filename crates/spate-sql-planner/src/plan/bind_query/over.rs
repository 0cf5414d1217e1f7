//! Window functions in a `SELECT` list (`ROW_NUMBER() OVER (PARTITION BY .. ORDER BY ..)`,
//! `SUM(x) OVER (.. ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)`, or `OVER w` of the `WINDOW`
//! clause) bound into an [`LogicalPlan::Over`] node (Flink's `LogicalOverAggregate`): ranking
//! functions, which only a rank filter makes runnable (`top_n.rs`), or aggregates over a frame
//! ordered by a time attribute. A ranking function no filter turned into a Top-N is refused.

use super::*;
use crate::ast::{FrameBound, FrameUnits, Over, WindowDef};
use crate::plan::{LagCall, OverFrame, RankKind, SortKey};

/// The name of the `i`-th window function's column, as Flink's plans name it.
fn over_column(i: usize) -> String {
    format!("w0$o{i}")
}

/// Whether `e` holds a call with `OVER` anywhere (outside subqueries).
fn holds_over(e: &Expr) -> bool {
    let mut e = e.clone();
    let mut found = false;
    let _ = lift_over_calls(&mut e, &mut |_| {
        found = true;
        Ok(String::new())
    });
    found
}

/// Whether the select list holds a window function.
pub(super) fn has_over(items: &[SelectItem]) -> bool {
    items
        .iter()
        .any(|i| matches!(i, SelectItem::Expr { expr, .. } if holds_over(expr)))
}

/// Replaces each call with `OVER` inside `e` by a reference to the column `bind` names for it.
fn lift_over_calls(
    e: &mut Expr,
    bind: &mut impl FnMut(&crate::ast::Function) -> Result<String>,
) -> Result<()> {
    if let Expr::Function(f) = e
        && f.over.is_some()
    {
        *e = Expr::Column(vec![Ident::new(bind(f)?)]);
        return Ok(());
    }
    e.children_mut()
        .into_iter()
        .try_for_each(|c| lift_over_calls(c, bind))
}

/// The window functions of one select list, bound as they are met.
#[derive(Default)]
struct OverCalls {
    window: Option<(Vec<usize>, Vec<SortKey>, OverFrame)>,
    calls: Vec<RankKind>,
    aggs: Vec<AggCall>,
    lags: Vec<LagCall>,
    // The appended columns: ranking functions', then aggregates', then `LAG`s', as the
    // operators append them.
    rank_fields: Vec<Field>,
    agg_fields: Vec<Field>,
    lag_fields: Vec<Field>,
}

impl OverCalls {
    /// Binds one call with `OVER`; returns the name of its column.
    fn bind(&mut self, f: &crate::ast::Function, s: &Select, scope: &RelScope<'_>) -> Result<String> {
        let Some(over) = &f.over else {
            return Err(SqlError::validation(
                "internal error: not a window function",
                None,
            ));
        };
        let pos_of = f.name.0.last().and_then(|i| i.loc.pos());
        let name = f.name.base().to_ascii_uppercase();
        let kind = match name.as_str() {
            "ROW_NUMBER" => Some(RankKind::RowNumber),
            "RANK" => Some(RankKind::Rank),
            "DENSE_RANK" => Some(RankKind::DenseRank),
            _ if AggKind::from_name(&name).is_some() || name == "LAG" => None,
            "LEAD" => {
                return Err(SqlError::validation(
                    "LEAD Function is not supported in stream mode.",
                    pos_of,
                ));
            }
            _ => {
                return Err(SqlError::not_yet_in_streaming(
                    format!("the window function {f} OVER {over}"),
                    pos_of,
                ));
            }
        };
        let def = resolve(over, &s.windows)?;
        let mut bound = bind_window(def, scope)?;
        let column = over_column(self.calls.len() + self.aggs.len() + self.lags.len());
        if (kind.is_some() || name == "LAG") && def.frame.is_some() {
            return Err(SqlError::validation(
                "ROW/RANGE not allowed with RANK, DENSE_RANK or ROW_NUMBER functions",
                pos_of,
            ));
        }
        match kind {
            Some(kind) => {
                if !f.args.is_empty() {
                    return Err(SqlError::validation(
                        format!(
                            "Invalid number of arguments to function '{name}'. Was expecting 0 arguments"
                        ),
                        pos_of,
                    ));
                }
                if bound.1.is_empty() {
                    return Err(SqlError::validation(
                        "Over Agg: The window rank function requires order by clause with non-constant fields. please re-check the over window statement.",
                        pos_of,
                    ));
                }
                if kind == RankKind::RowNumber {
                    // Calcite's frame of `ROW_NUMBER`: each row numbered apart from its peers.
                    bound.2 = OverFrame {
                        rows: true,
                        preceding: None,
                    };
                }
                self.calls.push(kind);
                self.rank_fields.push(Field::new(
                    column.clone(),
                    DataType {
                        kind: TypeKind::BigInt,
                        nullable: false,
                    },
                ));
            }
            None if name == "LAG" => {
                let lag = bind_lag(f, scope)?;
                self.lag_fields.push(Field::new(
                    column.clone(),
                    DataType {
                        nullable: true,
                        ..lag.arg.ty().clone()
                    },
                ));
                self.lags.push(lag);
            }
            None => {
                let call = bind_aggregate(f, scope)?;
                self.agg_fields.push(Field::new(column.clone(), call.ty.clone()));
                self.aggs.push(call);
            }
        }
        match &self.window {
            None => self.window = Some(bound),
            Some(w) if *w == bound => {}
            Some(_) => {
                return Err(SqlError::validation(
                    "Over Agg: Unsupported use of OVER windows. All aggregates must be computed on the same window. please re-check the over window statement.",
                    pos_of,
                ));
            }
        }
        Ok(column)
    }
}

/// `input` with an `Over` node for the select list's window functions, and the select list
/// with each call (a whole item, or inside one: `price - AVG(price) OVER w`) replaced by its
/// column.
pub(super) fn bind_over(input: LogicalPlan, s: &Select) -> Result<(LogicalPlan, Vec<SelectItem>)> {
    let mut items = Vec::with_capacity(s.projection.len());
    let mut over = OverCalls::default();
    let scope = RelScope {
        schema: input.schema(),
    };
    for (pos, item) in s.projection.iter().enumerate() {
        let SelectItem::Expr { expr, alias } = item else {
            items.push(item.clone());
            continue;
        };
        if let Expr::Function(f) = expr.without_parentheses()
            && f.over.is_some()
        {
            let column = over.bind(f, s, &scope)?;
            items.push(SelectItem::Expr {
                expr: Expr::Column(vec![Ident::new(column)]),
                alias: Some(alias.clone().unwrap_or_else(|| Ident::new(format!("EXPR${pos}")))),
            });
            continue;
        }
        let mut expr = expr.clone();
        lift_over_calls(&mut expr, &mut |f| over.bind(f, s, &scope))?;
        items.push(SelectItem::Expr {
            expr,
            alias: alias.clone(),
        });
    }
    let OverCalls {
        window,
        calls,
        aggs,
        lags,
        rank_fields,
        agg_fields,
        lag_fields,
    } = over;
    let Some((partition_by, order_by, frame)) = window else {
        return Ok((input, items));
    };
    if !aggs.is_empty() || !lags.is_empty() {
        check_over_aggregate(&input, &order_by, frame)?;
    }
    let mut fields = input.schema().fields.clone();
    fields.extend(rank_fields);
    fields.extend(agg_fields);
    fields.extend(lag_fields);
    let plan = LogicalPlan::Over {
        input: Box::new(input),
        partition_by,
        order_by,
        calls,
        aggs,
        lags,
        frame,
        schema: Schema { fields },
    };
    Ok((plan, items))
}

/// The projection over an `Over` node without the columns a `*` took from its window
/// functions: only the calls written in the select list show them (under their aliases).
pub(super) fn hide_over_columns(plan: LogicalPlan) -> Result<LogicalPlan> {
    let LogicalPlan::Project { input, exprs, schema } = plan else {
        return Ok(plan);
    };
    let width = match &*input {
        LogicalPlan::Over { input, .. } => input.schema().fields.len(),
        _ => usize::MAX,
    };
    let hidden = |(e, f): &(BoundExpr, Field)| {
        e.as_column()
            .is_some_and(|c| c >= width && f.name == over_column(c - width))
    };
    let (exprs, fields): (Vec<BoundExpr>, Vec<Field>) = exprs
        .into_iter()
        .zip(schema.fields)
        .filter(|p| !hidden(p))
        .unzip();
    Ok(LogicalPlan::Project {
        input,
        exprs,
        schema: Schema { fields },
    })
}

/// `LAG(arg [, offset [, default]])`: a constant offset, a default of the argument's type.
fn bind_lag(f: &crate::ast::Function, scope: &RelScope<'_>) -> Result<LagCall> {
    let at = f.name.0.last().and_then(|i| i.loc.pos());
    let (arg, offset, default) = match f.args.as_slice() {
        [arg] => (arg, None, None),
        [arg, offset] => (arg, Some(offset), None),
        [arg, offset, default] => (arg, Some(offset), Some(default)),
        _ => {
            return Err(SqlError::validation(
                "Invalid number of arguments to function 'LAG'. Was expecting 1 to 3 arguments",
                at,
            ));
        }
    };
    let arg = expr::bind(arg, scope)?;
    let offset = match offset {
        None => 1,
        Some(e) => match expr::bind(e, scope)?.constant_value() {
            Some(crate::value::Value::Int(n)) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
            _ => {
                return Err(SqlError::validation(
                    format!("LAG's offset must be a non-negative integer constant, found {e}"),
                    at,
                ));
            }
        },
    };
    let default = match default {
        None => None,
        Some(e) => {
            let ty = DataType {
                nullable: true,
                ..arg.ty().clone()
            };
            Some(expr::coerce(expr::bind(e, scope)?, &ty))
        }
    };
    Ok(LagCall { arg, offset, default })
}

/// The window an `OVER` names, looked up in the `WINDOW` clause.
fn resolve<'w>(over: &'w Over, windows: &'w [(Ident, WindowDef)]) -> Result<&'w WindowDef> {
    match over {
        Over::Window(def) => Ok(def),
        Over::Named(name) => windows
            .iter()
            .find(|(n, _)| n.value == name.value)
            .map(|(_, def)| def)
            .ok_or_else(|| SqlError::validation(format!("Window '{name}' not found"), name.loc.pos())),
    }
}

/// Flink's conditions on an OVER aggregate that Spate runs: ordered by one time attribute
/// ascending (Flink 2.1+ also orders unbounded frames by other columns, with updating output,
/// which Spate does not yet), over an insert-only input; `RANGE n PRECEDING` on processing time
/// is not done yet either.
fn check_over_aggregate(input: &LogicalPlan, order_by: &[SortKey], frame: OverFrame) -> Result<()> {
    if order_by.iter().any(|k| !k.ascending) {
        return Err(SqlError::validation(
            "The window can only be ordered in ASCENDING mode.",
            None,
        ));
    }
    let [only] = order_by else {
        return Err(SqlError::validation(
            "The window can only be ordered by a single time column.",
            None,
        ));
    };
    // Flink checks the order column before the input's changes: a bounded frame needs a time
    // attribute (Nexmark q6 loses its `dateTime` as one through a regular join).
    let time = input.schema().fields.get(only.column).and_then(|f| f.time);
    if time.is_none() && frame.preceding.is_some() {
        return Err(SqlError::validation(
            "Non-time attribute sort is not supported for bounded OVER window.",
            None,
        ));
    }
    let kinds = input.modify_kinds();
    if !kinds.is_insert_only() {
        let changes: Vec<&str> = [(kinds.update_after, "update"), (kinds.delete, "delete")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
        return Err(SqlError::validation(
            format!(
                "StreamPhysicalOverAggregate doesn't support consuming {} changes which is produced by node {}",
                changes.join(" and "),
                input.flink_node_string()
            ),
            None,
        ));
    }
    match time {
        None => Err(unsupported(
            "an OVER aggregate not ordered by a time attribute",
            None,
        )),
        Some(TimeAttr::Proctime) if !frame.rows && frame.preceding.is_some() => Err(unsupported(
            "an OVER aggregate over a RANGE frame on processing time",
            None,
        )),
        Some(_) => Ok(()),
    }
}

/// The frame of an OVER window (SQL's default: `RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT
/// ROW`); frames reaching past the current row are refused, in Flink's words.
fn bind_frame(def: &WindowDef) -> Result<OverFrame> {
    let Some(frame) = &def.frame else {
        return Ok(OverFrame::default());
    };
    let rows = frame.units == FrameUnits::Rows;
    if !matches!(frame.end, FrameBound::CurrentRow)
        || matches!(
            frame.start,
            FrameBound::Following(_) | FrameBound::UnboundedFollowing
        )
    {
        return Err(SqlError::validation(
            "OVER RANGE FOLLOWING windows are not supported yet.",
            None,
        ));
    }
    let preceding = match &frame.start {
        FrameBound::UnboundedPreceding => None,
        FrameBound::CurrentRow => Some(0),
        FrameBound::Preceding(n) if rows => {
            let b = expr::bind(n, &EmptyScope)?;
            match b.constant_value() {
                Some(crate::value::Value::Int(n)) if n >= 0 => Some(n),
                _ => {
                    return Err(SqlError::validation(
                        format!("ROWS {n} PRECEDING: expected a non-negative integer"),
                        None,
                    ));
                }
            }
        }
        FrameBound::Preceding(n) => Some(constant_interval(n, "RANGE .. PRECEDING")?),
        FrameBound::Following(_) | FrameBound::UnboundedFollowing => None,
    };
    Ok(OverFrame { rows, preceding })
}

/// The partition columns, sort keys and frame of a window over `scope`'s columns.
fn bind_window(def: &WindowDef, scope: &RelScope<'_>) -> Result<(Vec<usize>, Vec<SortKey>, OverFrame)> {
    let frame = bind_frame(def)?;
    let mut partition_by = Vec::new();
    for e in &def.partition_by {
        let b = expr::bind(e, scope)?;
        match b.as_column() {
            Some(c) => partition_by.push(c),
            None => return Err(unsupported(format!("PARTITION BY the expression {e}"), None)),
        }
    }
    let mut order_by = Vec::new();
    for o in &def.order_by {
        let b = expr::bind(&o.expr, scope)?;
        let Some(column) = b.as_column() else {
            return Err(unsupported(
                format!("ORDER BY the expression {} in OVER", o.expr),
                None,
            ));
        };
        let ascending = o.asc.unwrap_or(true);
        order_by.push(SortKey {
            column,
            ascending,
            nulls_first: o.nulls_first.unwrap_or(ascending),
        });
    }
    Ok((partition_by, order_by, frame))
}

/// Checks a window function no rank filter turned into a Top-N as Flink checks an OVER
/// aggregate: `ROW_NUMBER()` numbers rows one by one in time order (rows of one time too);
/// `RANK()` and `DENSE_RANK()` rank each time's rows as peers.
pub(super) fn check_ranking_over(plan: &LogicalPlan) -> Result<()> {
    if let LogicalPlan::Over {
        input,
        calls,
        order_by,
        frame,
        ..
    } = plan
        && !calls.is_empty()
    {
        // Flink plans it as an OVER aggregate.
        return check_over_aggregate(input, order_by, *frame);
    }
    plan.inputs().into_iter().try_for_each(check_ranking_over)
}

#[cfg(test)]
mod tests {
    use crate::ast::Statement;
    use crate::plan::LogicalPlan;
    use crate::{Catalog, parse};

    const DDL: &str = "
        CREATE TABLE sales (id INT, cat STRING, price INT, ts TIMESTAMP(3), pt AS PROCTIME(),
            WATERMARK FOR ts AS ts - INTERVAL '5' SECOND)
          WITH ('connector' = 'filesystem', 'path' = '/tmp/x', 'format' = 'csv');
        CREATE TABLE cdc (id INT, cat STRING, price INT)
          WITH ('connector' = 'filesystem', 'path' = '/tmp/y', 'format' = 'debezium-json');";

    fn bind(sql: &str) -> Result<LogicalPlan, String> {
        let mut catalog = Catalog::new();
        for s in parse(DDL).unwrap_or_default() {
            catalog.apply(&s).unwrap_or_default();
        }
        match parse(sql).map_err(|e| e.message().to_string())?.pop() {
            Some(Statement::Select(q)) => {
                super::super::bind_query(&q, &catalog).map_err(|e| e.message().to_string())
            }
            _ => Err("not a query".into()),
        }
    }

    fn explain(sql: &str) -> String {
        bind(sql).unwrap_or_else(|e| panic!("{sql}: {e}")).explain(true)
    }

    #[test]
    fn a_rank_end_read_from_a_column_is_a_variable_range() {
        // Flink ignores the strictness of `<` there, and reads the partition's first value.
        for filter in ["rn <= id", "rn < id", "id >= rn", "rn = id"] {
            let plan = explain(&top_n("id, cat, rn", "price DESC", filter));
            assert!(
                plan.contains(
                    "Rank(strategy=[AppendFastStrategy], rankType=[ROW_NUMBER], rankRange=[rankEnd=id], partitionBy=[cat], orderBy=[price DESC], outputRankNumber=[true], changelogMode=[I,UA,D]"
                ),
                "{filter}: {plan}"
            );
        }
        // The rank end column is read even when not selected.
        let plan = explain(&top_n("cat", "price DESC", "rn <= price"));
        assert!(plan.contains("rankRange=[rankEnd=price]"), "{plan}");
        // Flink fails such a job when it starts; Spate when planning it, in the same words.
        let doubles =
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC) AS rn
             FROM (SELECT id, cat, price, CAST(id AS DOUBLE) AS d FROM sales)) WHERE rn <= d";
        assert_eq!(
            bind(doubles).err().as_deref(),
            Some(
                "variable rank index column must be long type, while input type is org.apache.flink.table.types.logical.DoubleType"
            )
        );
        assert_eq!(
            bind(&top_n("*", "price DESC", "rn <= CAST(price AS TINYINT)"))
                .err()
                .as_deref(),
            Some("The window can only be ordered in ASCENDING mode.")
        );
    }

    fn top_n(select: &str, order: &str, filter: &str) -> String {
        format!(
            "SELECT {select} FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY {order}) AS rn FROM sales) WHERE {filter}"
        )
    }

    #[test]
    fn a_rank_filter_becomes_a_rank_with_the_rank_column_when_read() {
        let plan = explain(&top_n("*", "price DESC", "rn <= 2"));
        assert!(
            plan.contains(
                "Rank(strategy=[AppendFastStrategy], rankType=[ROW_NUMBER], rankRange=[rankStart=1, rankEnd=2], partitionBy=[cat], orderBy=[price DESC], outputRankNumber=[true], changelogMode=[I,UA,D]"
            ),
            "{plan}"
        );
        let top = plan.lines().next().unwrap_or_default();
        assert!(
            !top.contains("w0$o0"),
            "a * does not show the window function's column: {plan}"
        );
        let plan = explain(&top_n("id, price", "price DESC", "rn BETWEEN 2 AND 3 AND id > 1"));
        assert!(
            plan.contains("rankRange=[rankStart=2, rankEnd=3]") && plan.contains("outputRankNumber=[false]"),
            "{plan}"
        );
        assert!(plan.contains("Filter"), "the rest of the condition stays: {plan}");
    }

    #[test]
    fn a_top_1_by_a_time_attribute_is_a_deduplication() {
        let plan = explain(&top_n("id", "pt ASC", "rn = 1"));
        assert!(
            plan.contains("Deduplicate(keep=[FirstRow], key=[cat], order=[PROCTIME], changelogMode=[I]"),
            "{plan}"
        );
        let plan = explain(&top_n("id", "ts DESC", "rn <= 1"));
        assert!(
            plan.contains("Deduplicate(keep=[LastRow], key=[cat], order=[ROWTIME], changelogMode=[I,UA,D]"),
            "{plan}"
        );
        // With the rank column it stays a Top-N (FLINK-40368's shape: updating, not insert-only).
        let plan = explain(&top_n("id", "price DESC, ts ASC", "rn <= 1"));
        assert!(
            plan.contains("Rank(") && plan.contains("changelogMode=[I,UA,D]"),
            "{plan}"
        );
    }

    #[test]
    fn strategies_follow_the_input() {
        let plan = explain(
            "SELECT * FROM (SELECT id, cat, price, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC) AS rn FROM cdc) WHERE rn <= 2",
        );
        assert!(plan.contains("strategy=[RetractStrategy]"), "{plan}");
        let plan = explain(
            "SELECT * FROM (SELECT cat, price, n, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY n DESC) AS rn
               FROM (SELECT cat, price, COUNT(*) AS n FROM sales GROUP BY cat, price)) WHERE rn = 1",
        );
        assert!(plan.contains("strategy=[UpdateFastStrategy[0,1]]"), "{plan}");
    }

    #[test]
    fn over_aggregates_append_their_columns() {
        let plan = explain(
            "SELECT id, SUM(price) OVER w AS s, MAX(price) OVER w FROM sales
             WINDOW w AS (PARTITION BY cat ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW)",
        );
        assert!(
            plan.contains("OverAggregate(partitionBy=[cat], orderBy=[ts ASC], ROWS 2 PRECEDING, select=[SUM, MAX], changelogMode=[I]"),
            "{plan}"
        );
        let plan = explain(
            "SELECT id, COUNT(*) OVER (ORDER BY pt RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM sales",
        );
        assert!(plan.contains("RANGE UNBOUNDED PRECEDING"), "{plan}");
    }

    #[test]
    fn window_top_n_and_named_windows() {
        let plan = explain(
            "SELECT * FROM (SELECT window_start, window_end, id, price,
                ROW_NUMBER() OVER w AS rn
              FROM TABLE(TUMBLE(TABLE sales, DESCRIPTOR(ts), INTERVAL '10' SECOND))
              WINDOW w AS (PARTITION BY window_start, window_end ORDER BY price DESC)) WHERE rn <= 3",
        );
        assert!(
            plan.contains("WindowRank(rankType=[ROW_NUMBER]") && plan.contains("changelogMode=[I]"),
            "{plan}"
        );
    }

    #[test]
    fn refused_shapes_say_what_flink_says() {
        let err = |sql: &str| bind(sql).err().unwrap_or_default();
        assert_eq!(
            err(
                "SELECT * FROM (SELECT id, RANK() OVER (PARTITION BY cat ORDER BY price) AS r FROM sales) WHERE r <= 2"
            ),
            "RANK() on streaming table is not supported currently"
        );
        assert_eq!(
            err(&top_n("*", "price DESC", "rn > 2")),
            "Rank end is not specified. Currently rank only support TopN, which means the rank end must be specified."
        );
        assert_eq!(
            err("SELECT id, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC) FROM sales"),
            "The window can only be ordered in ASCENDING mode."
        );
        assert_eq!(
            err(
                "SELECT * FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY cat) AS rn FROM sales) WHERE rn <= 2"
            ),
            "Over Agg: The window rank function requires order by clause with non-constant fields. please re-check the over window statement."
        );
        assert!(err("SELECT id, ROW_NUMBER() OVER w FROM sales").contains("Window 'w' not found"));
        assert_eq!(
            err(
                "SELECT id, SUM(price) OVER (PARTITION BY cat ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM sales"
            ),
            "Non-time attribute sort is not supported for bounded OVER window."
        );
        assert_eq!(
            err(&top_n("*", "price DESC", "rn < 1")),
            "Rank end should not less than zero, but now is 0"
        );
        assert_eq!(
            err("SELECT * FROM (SELECT window_start, id, RANK() OVER (PARTITION BY window_start, window_end ORDER BY price) AS r
                 FROM TABLE(TUMBLE(TABLE sales, DESCRIPTOR(ts), INTERVAL '10' SECOND))) WHERE r <= 2"),
            "RANK() function is not supported on Window TopN currently, only ROW_NUMBER() is supported."
        );
        // A rank end read from a column is Flink's variable range only as the one rank
        // conjunct; beside a constant bound the ranking function stays an OVER aggregate.
        assert_eq!(
            err(&top_n("*", "price DESC", "rn <= id AND rn >= 2")),
            "The window can only be ordered in ASCENDING mode."
        );
        assert_eq!(
            err(&top_n("*", "price DESC", "rn >= id")),
            "The window can only be ordered in ASCENDING mode."
        );
        // Flink 2.3 runs these as OVER aggregates (a ranking function over a time attribute, or
        // since 2.1 ordered by any column ascending); Spate does not yet.
        assert!(
            err("SELECT id, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price) FROM sales")
                .contains("not supported")
        );
        assert!(bind("SELECT id, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY ts) FROM sales").is_ok());
        assert!(
            err("SELECT id, SUM(price) OVER (PARTITION BY cat ORDER BY price) FROM sales")
                .contains("not supported")
        );
        assert!(
            err("SELECT id, SUM(price) OVER (PARTITION BY cat ORDER BY id) FROM cdc").starts_with(
                "StreamPhysicalOverAggregate doesn't support consuming update and delete changes"
            )
        );
        assert_eq!(
            err("SELECT id, LEAD(price) OVER (PARTITION BY cat ORDER BY ts) FROM sales"),
            "LEAD Function is not supported in stream mode."
        );
        assert_eq!(
            err(
                "SELECT id, LAG(price) OVER (PARTITION BY cat ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM sales"
            ),
            "ROW/RANGE not allowed with RANK, DENSE_RANK or ROW_NUMBER functions"
        );
        assert_eq!(
            err("SELECT id, SUM(price) OVER (PARTITION BY cat) FROM sales"),
            "The window can only be ordered by a single time column."
        );
        assert_eq!(
            err(
                "SELECT id, SUM(price) OVER (PARTITION BY cat ORDER BY ts ROWS BETWEEN 1 PRECEDING AND 1 FOLLOWING) FROM sales"
            ),
            "OVER RANGE FOLLOWING windows are not supported yet."
        );
        assert_eq!(
            err(
                "SELECT SUM(price) OVER (ORDER BY ts), COUNT(*) OVER (ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM sales"
            ),
            "Over Agg: Unsupported use of OVER windows. All aggregates must be computed on the same window. please re-check the over window statement."
        );
        // `ROW_NUMBER`'s frame is `ROWS`: beside an aggregate on the default `RANGE` frame it is
        // another window (Flink 2.3 refuses the pair); beside `ROWS UNBOUNDED` it is the same.
        assert_eq!(
            err(
                "SELECT ROW_NUMBER() OVER w, COUNT(*) OVER w FROM sales WINDOW w AS (PARTITION BY cat ORDER BY ts)"
            ),
            "Over Agg: Unsupported use of OVER windows. All aggregates must be computed on the same window. please re-check the over window statement."
        );
        assert!(
            bind("SELECT ROW_NUMBER() OVER (ORDER BY ts), COUNT(*) OVER (ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM sales")
                .is_ok()
        );
    }

    #[test]
    fn window_functions_inside_expressions_become_columns_of_the_over_node() {
        let plan = explain(
            "SELECT id, price - AVG(price) OVER w AS d, CASE WHEN RANK() OVER w > 1 THEN 'later' END
             FROM sales WINDOW w AS (PARTITION BY cat ORDER BY ts)",
        );
        assert!(
            plan.contains("OverAggregate(partitionBy=[cat], orderBy=[ts ASC], RANGE UNBOUNDED PRECEDING, select=[RANK(), AVG]"),
            "{plan}"
        );
        let err = bind("SELECT id, 1 + RANK() OVER (PARTITION BY cat ORDER BY id) FROM cdc")
            .err()
            .unwrap_or_default();
        assert!(
            err.starts_with(
                "StreamPhysicalOverAggregate doesn't support consuming update and delete changes"
            ),
            "{err}"
        );
    }
}
