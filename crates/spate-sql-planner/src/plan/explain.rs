//! `EXPLAIN`: the logical plan as an indented tree.

use std::fmt::{self, Write as _};

use super::{LogicalPlan, WindowSpec};

impl fmt::Display for WindowSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WindowSpec::Tumble { size, offset } => write!(f, "TUMBLE(size={size}ms, offset={offset}ms)"),
            WindowSpec::Hop { slide, size, offset } => {
                write!(f, "HOP(slide={slide}ms, size={size}ms, offset={offset}ms)")
            }
            WindowSpec::Cumulate { step, size, offset } => {
                write!(f, "CUMULATE(step={step}ms, size={size}ms, offset={offset}ms)")
            }
            WindowSpec::Session { gap } => write!(f, "SESSION(gap={gap}ms)"),
        }
    }
}

impl LogicalPlan {
    /// The plan as [`fmt::Display`] shows it, each node with its changelog mode and upsert
    /// keys when `changelog` (`EXPLAIN CHANGELOG_MODE`).
    pub fn explain(&self, changelog: bool) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = self.write_tree(&mut out, 0, changelog);
        out
    }

    fn write_tree(&self, out: &mut String, depth: usize, changelog: bool) -> fmt::Result {
        let pad = "  ".repeat(depth);
        let mut head = String::new();
        let f = &mut head;
        let children: Vec<&LogicalPlan> = match self {
            LogicalPlan::Scan { table, rowtime, .. } => {
                write!(
                    f,
                    "Scan(table=[{}], connector=[{}]",
                    table.name,
                    table.option("connector").unwrap_or("?")
                )?;
                if let Some(r) = rowtime {
                    write!(
                        f,
                        ", watermark=[{} - {}ms]",
                        self.schema().fields[r.column].name,
                        r.delay_ms
                    )?;
                }
                f.write_str(")")?;
                vec![]
            }
            LogicalPlan::Values { rows, .. } => {
                write!(f, "Values(rows=[{}])", rows.len())?;
                vec![]
            }
            LogicalPlan::Project { input, .. } => {
                write!(f, "Project")?;
                vec![input]
            }
            LogicalPlan::Filter { input, .. } => {
                write!(f, "Filter")?;
                vec![input]
            }
            LogicalPlan::WindowAssign { input, window, .. } => {
                write!(f, "WindowTableFunction(window=[{window}])")?;
                vec![input]
            }
            LogicalPlan::WindowAggregate {
                input,
                window,
                keys,
                aggs,
                ..
            } => {
                let calls: Vec<String> = aggs
                    .iter()
                    .map(|a| format!("{}{}", a.kind.name(), if a.distinct { "(DISTINCT)" } else { "" }))
                    .collect();
                write!(
                    f,
                    "WindowAggregate(window=[{window}], keys=[{}], aggregates=[{}])",
                    keys.len(),
                    calls.join(", ")
                )?;
                vec![input]
            }
            LogicalPlan::AttachedWindowAggregate {
                input,
                window,
                keys,
                aggs,
                ..
            } => {
                write!(
                    f,
                    "WindowAggregate(window=[{window}, attached], keys=[{}], aggregates=[{}])",
                    keys.len(),
                    aggs.len()
                )?;
                vec![input]
            }
            LogicalPlan::Unnest {
                input,
                collection,
                options,
                condition,
                ..
            } => {
                let column = |i: usize| input.schema().fields.get(i).map_or("?", |f| f.name.as_str());
                let argument = match collection.as_column() {
                    Some(i) => column(i).to_string(),
                    None => "<expression>".to_string(),
                };
                write!(
                    f,
                    "Unnest(collection=[{argument}], kind=[{}]",
                    if options.outer { "Left" } else { "Inner" }
                )?;
                if options.with_ordinality {
                    f.write_str(", ordinality=[true]")?;
                }
                if condition.is_some() {
                    f.write_str(", on=[condition]")?;
                }
                f.write_str(")")?;
                vec![input]
            }
            LogicalPlan::Union { inputs, .. } => {
                write!(f, "Union(all=[true])")?;
                inputs.iter().collect()
            }
            LogicalPlan::WindowJoin {
                left,
                right,
                window,
                kind,
                ..
            } => {
                write!(f, "WindowJoin(window=[{window}], kind=[{kind:?}])")?;
                vec![left, right]
            }
            LogicalPlan::RegularJoin {
                left, right, keys, ..
            } => {
                write!(f, "Join(kind=[Inner], keys=[{}], insert-only)", keys.len())?;
                vec![left, right]
            }
            LogicalPlan::IntervalJoin {
                left,
                right,
                bounds,
                kind,
                ..
            } => {
                write!(
                    f,
                    "IntervalJoin(between=[{}ms, {}ms], kind=[{kind:?}])",
                    bounds.0, bounds.1
                )?;
                vec![left, right]
            }
        };
        if changelog {
            let details = self.changelog_details();
            match head.strip_suffix(')') {
                Some(open) => head = format!("{open}, {details})"),
                None => head = format!("{head}({details})"),
            }
        }
        writeln!(out, "{pad}{head} -> [{}]", self.schema())?;
        for c in children {
            c.write_tree(out, depth + 1, changelog)?;
        }
        Ok(())
    }

    /// `changelogMode=[I]`, then `upsertKeys=[[a], [b, c]]` when the node has upsert keys.
    fn changelog_details(&self) -> String {
        let mut details = format!("changelogMode={}", self.changelog_mode());
        let keys = self.upsert_keys();
        if !keys.is_empty() {
            let fields = &self.schema().fields;
            let named: Vec<String> = keys
                .iter()
                .map(|k| {
                    let names: Vec<&str> = k
                        .iter()
                        .map(|c| fields.get(*c).map_or("?", |f| f.name.as_str()))
                        .collect();
                    format!("[{}]", names.join(", "))
                })
                .collect();
            details.push_str(&format!(", upsertKeys=[{}]", named.join(", ")));
        }
        details
    }
}

impl fmt::Display for LogicalPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.explain(false))
    }
}
