//! How much one statement's planning may build, so that a hostile or absurd script (an N-way
//! self-join, views or `WITH` items that each use the previous one twice, thousands of chained
//! views or `WITH` items) is an error naming the limit, never a stack overflow or gigabytes of
//! memory in the process that plans it (`spate server` plans submitted scripts in its own
//! process).
//!
//! - Nesting: subqueries, view expansions and joins each take a level while they are bound
//!   (binding recurses through them); at most [`MAX_NESTING`].
//! - Depth: the translator, `EXPLAIN`, projection push-down and dropping a plan recurse over
//!   its nodes; no plan may be deeper than [`MAX_PLAN_DEPTH`] (checked where plans are made
//!   from others: `WITH` items, views, the whole query).
//! - Size: every node built or copied (a `WITH` item or view is copied into each place that
//!   reads it) counts against [`MAX_PLAN_NODES`], and the columns of its schema against
//!   [`MAX_PLAN_COLUMNS`] — the memory a plan takes is about the sum of its schemas' widths.
//!
//! The limits sit far beyond real queries (Nexmark's deepest plan is about 15 nodes) and, with
//! the parser's own limits, keep planning within a 2 MiB thread stack in a debug build.

use crate::error::{Result, SqlError};

use super::LogicalPlan;

/// Subqueries, views and joins nested inside each other while binding.
pub(crate) const MAX_NESTING: usize = 64;
/// Nodes on one path from a plan's root to a leaf.
pub(crate) const MAX_PLAN_DEPTH: usize = 200;
/// Nodes one statement's plans may have in all (copies of views and `WITH` items included).
pub(crate) const MAX_PLAN_NODES: usize = 10_000;
/// Columns of all schemas of one statement's plans together.
pub(crate) const MAX_PLAN_COLUMNS: usize = 100_000;

/// The size of a plan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct PlanSize {
    /// Nodes.
    pub(crate) nodes: usize,
    /// Columns of all its nodes' schemas.
    pub(crate) columns: usize,
    /// Nodes on the longest path from the root.
    pub(crate) depth: usize,
}

/// Measures `plan` without recursion (it may be too deep for that; that is what is checked).
pub(crate) fn measure(plan: &LogicalPlan) -> PlanSize {
    let mut size = PlanSize::default();
    let mut stack = vec![(plan, 1usize)];
    while let Some((node, depth)) = stack.pop() {
        size.nodes += 1;
        size.columns += node.schema().fields.len();
        size.depth = size.depth.max(depth);
        stack.extend(node.inputs().into_iter().map(|i| (i, depth + 1)));
    }
    size
}

/// Refuses a plan deeper than [`MAX_PLAN_DEPTH`]; `what` names it in the error.
pub(crate) fn check_depth(size: PlanSize, what: &str) -> Result<()> {
    if size.depth > MAX_PLAN_DEPTH {
        return Err(SqlError::validation(
            format!(
                "{what} is too deep to plan: {} operators on one path, at most {MAX_PLAN_DEPTH} \
                 (chained views or WITH items)",
                size.depth
            ),
            None,
        ));
    }
    Ok(())
}

/// What the statement's binding has built so far.
#[derive(Debug, Default)]
pub(crate) struct Budget {
    nodes: usize,
    columns: usize,
}

impl Budget {
    /// Counts `nodes` more nodes with `columns` more columns, or refuses when that passes a
    /// limit.
    pub(crate) fn charge(&mut self, nodes: usize, columns: usize) -> Result<()> {
        self.nodes = self.nodes.saturating_add(nodes);
        self.columns = self.columns.saturating_add(columns);
        if self.nodes > MAX_PLAN_NODES {
            return Err(SqlError::validation(
                format!(
                    "the statement is too large to plan: more than {MAX_PLAN_NODES} operators \
                     (counting each use of a view or WITH item)"
                ),
                None,
            ));
        }
        if self.columns > MAX_PLAN_COLUMNS {
            return Err(SqlError::validation(
                format!(
                    "the statement is too large to plan: more than {MAX_PLAN_COLUMNS} columns \
                     in its operators together (joins of many or wide tables)"
                ),
                None,
            ));
        }
        Ok(())
    }

    /// Counts a copy of a plan of `size`.
    pub(crate) fn charge_copy(&mut self, size: PlanSize) -> Result<()> {
        self.charge(size.nodes, size.columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Schema;

    fn chain(depth: usize) -> LogicalPlan {
        let mut plan = LogicalPlan::Values {
            rows: vec![vec![]],
            schema: Schema::default(),
        };
        for _ in 1..depth {
            plan = LogicalPlan::Project {
                input: Box::new(plan),
                exprs: Vec::new(),
                schema: Schema::default(),
            };
        }
        plan
    }

    #[test]
    fn measures_depth_and_refuses_beyond_the_limit() {
        let ok = measure(&chain(MAX_PLAN_DEPTH));
        assert_eq!(ok.depth, MAX_PLAN_DEPTH);
        assert_eq!(ok.nodes, MAX_PLAN_DEPTH);
        assert!(check_depth(ok, "the query").is_ok());
        let deep = measure(&chain(MAX_PLAN_DEPTH + 1));
        let err = check_depth(deep, "the query").expect_err("too deep");
        assert!(
            err.message().contains(&MAX_PLAN_DEPTH.to_string()),
            "{}",
            err.message()
        );
    }

    #[test]
    fn the_budget_refuses_once_a_limit_is_passed() {
        let mut b = Budget::default();
        assert!(b.charge(MAX_PLAN_NODES, 0).is_ok());
        assert!(b.charge(1, 0).is_err());
        let mut b = Budget::default();
        assert!(b.charge(1, MAX_PLAN_COLUMNS).is_ok());
        assert!(b.charge(0, 1).is_err());
    }
}
