//! Filters and projections over one input fused into one operator, as Calcite's `Calc`: a
//! view's `WHERE` and column picks, a query's `WHERE` and `SELECT` and an `INSERT`'s casts run
//! as one pass per row — the conditions, then the output row, its computed columns evaluated
//! by reference and its picked values moved out of the input row — instead of an operator and
//! a new row per plan node. (Every Nexmark query over the `bid` view is three or four such
//! nodes over the Kafka table.)
//!
//! Invariant: fusing never evaluates an expression more often than the plan does. A computed
//! column of a projection is substituted into the nodes above it only where they read it at
//! most once; otherwise the chain stops there and the projection is an operator of its own,
//! its rows computed once.

use super::path_picks::PathPicks;
use crate::expr::{BoundExpr, CompiledExpr, EvalContext, EvalError};
use crate::plan::LogicalPlan;
use crate::value::{Row, Value};
use crate::zone::SessionZone;

/// A chain of filters and projections, rewritten over the rows of the node below it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Calc {
    /// Conditions, the lowest node's first: a row passes when every one is TRUE, and a later
    /// one is not evaluated for a row an earlier one drops (as in the plan, where it never
    /// reaches the node above).
    pub predicates: Vec<BoundExpr>,
    /// The output columns; `None` passes the input row on as it is.
    pub projection: Option<Vec<BoundExpr>>,
}

impl Calc {
    /// The chain of `Filter` and `Project` nodes from `plan` down, and the node below it.
    /// `plan` itself is always taken when it is one of them; a node below only when
    /// `fusible(node)` (a node that is not shared with another consumer).
    pub(super) fn of(
        plan: &LogicalPlan,
        zone: SessionZone,
        fusible: impl Fn(&LogicalPlan) -> bool,
    ) -> (Calc, &LogicalPlan) {
        let mut calc = Calc {
            predicates: Vec::new(),
            projection: None,
        };
        let mut node = plan;
        loop {
            if !std::ptr::eq(node, plan) && !fusible(node) {
                break;
            }
            match node {
                LogicalPlan::Filter { input, predicate } => {
                    calc.predicates.insert(0, predicate.clone());
                    node = input;
                }
                LogicalPlan::Project { input, exprs, .. } if calc.reads_computed_once(exprs, zone) => {
                    calc.predicates = calc
                        .predicates
                        .iter()
                        .map(|p| p.substitute_columns(exprs))
                        .collect();
                    calc.projection = Some(match &calc.projection {
                        Some(above) => above.iter().map(|e| e.substitute_columns(exprs)).collect(),
                        None => exprs.clone(),
                    });
                    node = input;
                }
                _ => break,
            }
        }
        (calc, node)
    }

    /// Whether every computed expression of the projection `below` (not a column, a field of
    /// one or a literal) is read at most once by this chain.
    fn reads_computed_once(&self, below: &[BoundExpr], zone: SessionZone) -> bool {
        let mut reads = vec![0usize; below.len()];
        let mut count = |i: usize| {
            if let Some(n) = reads.get_mut(i) {
                *n += 1;
            }
        };
        for p in &self.predicates {
            p.visit_columns(&mut count);
        }
        match &self.projection {
            Some(exprs) => exprs.iter().for_each(|e| e.visit_columns(&mut count)),
            // The row passed on is every column once.
            None => (0..below.len()).for_each(&mut count),
        }
        below
            .iter()
            .zip(reads)
            .all(|(e, n)| n <= 1 || e.as_literal().is_some() || e.as_passthrough_path(zone).is_some())
    }

    /// With the projection's columns that only pick values out of the input row.
    pub(super) fn picks(&self, zone: SessionZone) -> Option<Vec<usize>> {
        self.projection
            .as_ref()?
            .iter()
            .map(|e| e.as_passthrough_column(zone))
            .collect()
    }
}

/// How a fused chain makes its output row.
#[derive(Clone)]
enum Output {
    /// The input row as it is.
    Keep,
    /// Columns in ascending order: the row's own vector, values swapped to the front.
    Ascending(Vec<usize>),
    /// Values picked out of the input row (moved where no other output reads them).
    Picks(PathPicks),
    /// Some columns computed from the input row, then the others picked out of it.
    Mixed {
        width: usize,
        computed: Vec<(usize, CompiledExpr)>,
        picks: PathPicks,
    },
}

/// A [`Calc`] ready to run on rows.
#[derive(Clone)]
pub(super) struct CalcFn {
    predicates: Vec<CompiledExpr>,
    output: Output,
}

impl CalcFn {
    /// `calc` over rows of `input_width` columns, compiled; casts that change no value are
    /// judged in `zone`.
    pub(super) fn new(calc: &Calc, input_width: usize, zone: SessionZone) -> Self {
        let predicates = calc.predicates.iter().map(BoundExpr::compile).collect();
        let output = match &calc.projection {
            None => Output::Keep,
            Some(exprs) => match calc.picks(zone) {
                // `SELECT *`, an INSERT of a table's own columns.
                Some(cols) if cols.len() == input_width && cols.iter().enumerate().all(|(i, c)| i == *c) => {
                    Output::Keep
                }
                Some(cols) if cols.windows(2).all(|w| w[0] < w[1]) => Output::Ascending(cols),
                _ => {
                    let paths: Vec<(usize, Vec<usize>)> = exprs
                        .iter()
                        .enumerate()
                        .filter_map(|(i, e)| Some((i, e.as_passthrough_path(zone)?)))
                        .collect();
                    if paths.len() == exprs.len() {
                        Output::Picks(PathPicks::new(paths.into_iter().map(|(_, p)| p).collect()))
                    } else {
                        let computed = exprs
                            .iter()
                            .enumerate()
                            .filter(|(_, e)| e.as_passthrough_path(zone).is_none())
                            .map(|(i, e)| (i, e.compile()))
                            .collect();
                        Output::Mixed {
                            width: exprs.len(),
                            computed,
                            picks: PathPicks::placed(paths),
                        }
                    }
                }
            },
        };
        Self { predicates, output }
    }

    /// Whether rows pass unchanged (no condition, every column in place).
    pub(super) fn is_identity(&self) -> bool {
        self.predicates.is_empty() && matches!(self.output, Output::Keep)
    }

    /// Whether running it evaluates expressions (and so needs an [`EvalContext`]).
    pub(super) fn evaluates(&self) -> bool {
        !self.predicates.is_empty() || matches!(self.output, Output::Mixed { .. })
    }

    /// The output row of `row`, `None` when a condition drops it.
    pub(super) fn apply(&self, row: Row, ctx: &EvalContext) -> Result<Option<Row>, EvalError> {
        for p in &self.predicates {
            if !p.eval_predicate(&row, ctx)? {
                return Ok(None);
            }
        }
        self.project(row, ctx).map(Some)
    }

    /// The output row of `row` (which passed the conditions).
    pub(super) fn project(&self, mut row: Row, ctx: &EvalContext) -> Result<Row, EvalError> {
        Ok(match &self.output {
            Output::Keep => row,
            Output::Ascending(cols) => {
                // Value i comes from column cols[i] >= i, so swapping front to back never reads
                // a value moved before.
                for (i, &c) in cols.iter().enumerate() {
                    if c < row.len() {
                        row.swap(i, c);
                    } else if i < row.len() {
                        row[i] = Value::Null;
                    }
                }
                row.resize(cols.len(), Value::Null);
                row
            }
            Output::Picks(picks) => picks.apply(&mut row),
            Output::Mixed {
                width,
                computed,
                picks,
            } => {
                let mut out = vec![Value::Null; *width];
                // Computed first: the picks below move values out of `row`.
                for (i, e) in computed {
                    out[*i] = e.eval(&row, ctx)?;
                }
                picks.fill(&mut row, &mut out);
                out
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{ArithOp, ScalarFunc};
    use crate::plan::Schema;
    use crate::types::{DataType, TypeKind};

    fn int() -> DataType {
        DataType::new(TypeKind::BigInt)
    }

    fn col(index: usize) -> BoundExpr {
        BoundExpr::Column { index, ty: int() }
    }

    fn lit(v: i64) -> BoundExpr {
        BoundExpr::Literal {
            value: Value::Int(v),
            ty: int(),
        }
    }

    fn add(a: BoundExpr, b: BoundExpr) -> BoundExpr {
        BoundExpr::Call {
            func: ScalarFunc::Arith(ArithOp::Plus),
            args: vec![a, b],
            ty: int(),
        }
    }

    fn gt(a: BoundExpr, b: BoundExpr) -> BoundExpr {
        BoundExpr::Call {
            func: ScalarFunc::Compare(crate::expr::CmpOp::Gt),
            args: vec![a, b],
            ty: DataType::new(TypeKind::Boolean),
        }
    }

    fn values(rows: Vec<Vec<BoundExpr>>) -> LogicalPlan {
        LogicalPlan::Values {
            rows,
            schema: Schema::default(),
        }
    }

    fn project(input: LogicalPlan, exprs: Vec<BoundExpr>) -> LogicalPlan {
        LogicalPlan::Project {
            input: Box::new(input),
            exprs,
            schema: Schema::default(),
        }
    }

    fn filter(input: LogicalPlan, predicate: BoundExpr) -> LogicalPlan {
        LogicalPlan::Filter {
            input: Box::new(input),
            predicate,
        }
    }

    fn text(plan: &LogicalPlan) -> String {
        format!("{plan:?}")
    }

    fn run(plan: &LogicalPlan, rows: &[Row]) -> (Vec<Row>, LogicalPlan) {
        let (calc, below) = Calc::of(plan, SessionZone::UTC, |_| true);
        let f = CalcFn::new(&calc, 3, SessionZone::UTC);
        let ctx = EvalContext::default();
        let out = rows
            .iter()
            .filter_map(|r| f.apply(r.clone(), &ctx).expect("evaluates"))
            .collect();
        (out, below.clone())
    }

    /// The chain node by node, as the plan runs it: the oracle.
    fn run_nodes(plan: &LogicalPlan, rows: Vec<Row>) -> Vec<Row> {
        let ctx = EvalContext::default();
        match plan {
            LogicalPlan::Filter { input, predicate } => run_nodes(input, rows)
                .into_iter()
                .filter(|r| predicate.eval_predicate(r, &ctx).expect("evaluates"))
                .collect(),
            LogicalPlan::Project { input, exprs, .. } => run_nodes(input, rows)
                .into_iter()
                .map(|r| {
                    exprs
                        .iter()
                        .map(|e| e.eval(&r, &ctx).expect("evaluates"))
                        .collect()
                })
                .collect(),
            _ => rows,
        }
    }

    #[test]
    fn a_chain_of_filters_and_projections_is_one_pass_over_the_input() {
        // SELECT b + 1, a FROM (SELECT c AS a, a + b AS b FROM t WHERE a > 0) WHERE a > 2
        let below = filter(values(vec![]), gt(col(0), lit(0)));
        let view = project(below, vec![col(2), add(col(0), col(1))]);
        let plan = project(
            filter(view, gt(col(0), lit(2))),
            vec![add(col(1), lit(1)), col(0)],
        );
        let rows: Vec<Row> = (-2..6)
            .map(|i| vec![Value::Int(i), Value::Int(10 * i), Value::Int(i - 1)])
            .collect();
        let (fused, below) = run(&plan, &rows);
        assert!(matches!(below, LogicalPlan::Values { .. }), "every node fused");
        assert_eq!(fused, run_nodes(&plan, rows));
        assert_eq!(fused.len(), 2);
    }

    #[test]
    fn a_computed_column_read_twice_stops_the_chain() {
        // SELECT s, s FROM (SELECT a + b AS s FROM t): a + b is computed once, below.
        let view = project(values(vec![]), vec![add(col(0), col(1))]);
        let plan = project(view.clone(), vec![col(0), col(0)]);
        let (calc, below) = Calc::of(&plan, SessionZone::UTC, |_| true);
        assert_eq!(text(below), text(&view));
        assert_eq!(calc.projection, Some(vec![col(0), col(0)]));
        // Read by a condition and passed on: also twice.
        let plan = filter(view.clone(), gt(col(0), lit(3)));
        assert_eq!(text(Calc::of(&plan, SessionZone::UTC, |_| true).1), text(&view));
        // A picked column may be read any number of times.
        let picks = project(values(vec![]), vec![col(1)]);
        let plan = project(picks, vec![col(0), add(col(0), col(0))]);
        let (calc, below) = Calc::of(&plan, SessionZone::UTC, |_| true);
        assert!(matches!(below, LogicalPlan::Values { .. }));
        assert_eq!(calc.projection, Some(vec![col(1), add(col(1), col(1))]));
    }

    #[test]
    fn a_shared_node_is_not_fused() {
        let view = project(values(vec![]), vec![col(1), col(0)]);
        let plan = filter(view.clone(), gt(col(0), lit(3)));
        let (calc, below) = Calc::of(&plan, SessionZone::UTC, |n| text(n) != text(&view));
        assert_eq!(text(below), text(&view));
        assert_eq!(calc.projection, None);
    }

    #[test]
    fn computed_columns_read_values_that_picks_move_out() {
        // SELECT a, a + 1, b: `a` is moved out only after `a + 1` read it.
        let plan = project(values(vec![]), vec![col(0), add(col(0), lit(1)), col(1)]);
        let rows = vec![vec![Value::Int(4), Value::String("x".into())]];
        let (fused, _) = run(&plan, &rows);
        assert_eq!(
            fused,
            vec![vec![Value::Int(4), Value::Int(5), Value::String("x".into())]]
        );
    }
}
