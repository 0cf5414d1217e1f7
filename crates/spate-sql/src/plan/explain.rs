//! `EXPLAIN`: the logical plan as an indented tree.

use std::fmt;

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
    fn write_tree(&self, f: &mut fmt::Formatter<'_>, depth: usize) -> fmt::Result {
        let pad = "  ".repeat(depth);
        let children: Vec<&LogicalPlan> = match self {
            LogicalPlan::Scan { table, rowtime, .. } => {
                write!(
                    f,
                    "{pad}Scan(table=[{}], connector=[{}]",
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
                write!(f, "{pad}Values(rows=[{}])", rows.len())?;
                vec![]
            }
            LogicalPlan::Project { input, .. } => {
                write!(f, "{pad}Project")?;
                vec![input]
            }
            LogicalPlan::Filter { input, .. } => {
                write!(f, "{pad}Filter")?;
                vec![input]
            }
            LogicalPlan::WindowAssign { input, window, .. } => {
                write!(f, "{pad}WindowTableFunction(window=[{window}])")?;
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
                    "{pad}WindowAggregate(window=[{window}], keys=[{}], aggregates=[{}])",
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
                    "{pad}WindowAggregate(window=[{window}, attached], keys=[{}], aggregates=[{}])",
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
                    "{pad}Unnest(collection=[{argument}], kind=[{}]",
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
                write!(f, "{pad}Union(all=[true])")?;
                inputs.iter().collect()
            }
            LogicalPlan::WindowJoin {
                left,
                right,
                window,
                kind,
                ..
            } => {
                write!(f, "{pad}WindowJoin(window=[{window}], kind=[{kind:?}])")?;
                vec![left, right]
            }
            LogicalPlan::RegularJoin {
                left, right, keys, ..
            } => {
                write!(f, "{pad}Join(kind=[Inner], keys=[{}], insert-only)", keys.len())?;
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
                    "{pad}IntervalJoin(between=[{}ms, {}ms], kind=[{kind:?}])",
                    bounds.0, bounds.1
                )?;
                vec![left, right]
            }
        };
        writeln!(f, " -> [{}]", self.schema())?;
        for c in children {
            c.write_tree(f, depth + 1)?;
        }
        Ok(())
    }
}

impl fmt::Display for LogicalPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_tree(f, 0)
    }
}
