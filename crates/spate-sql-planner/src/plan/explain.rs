//! `EXPLAIN`: the logical plan as an indented tree.

use std::fmt::{self, Write as _};

use super::{ChangelogMode, LogicalPlan, UpdateImages, WindowSpec};

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
    /// keys when `changelog` (`EXPLAIN CHANGELOG_MODE` of a query, whose rows may come as
    /// upserts, as Flink's EXPLAIN of a query shows them).
    pub fn explain(&self, changelog: bool) -> String {
        let accepted = [UpdateImages::AfterOnly, UpdateImages::BeforeAndAfter];
        self.explain_modes(changelog.then_some(&accepted[..]))
    }

    /// The plan with each node's changelog mode and upsert keys, for a consumer that accepts
    /// the update images of `accepted` (in order of preference: a sink's).
    pub fn explain_for(&self, accepted: &[UpdateImages]) -> String {
        self.explain_modes(Some(accepted))
    }

    fn explain_modes(&self, accepted: Option<&[UpdateImages]>) -> String {
        let modes = accepted.map(|a| {
            self.changelog_modes(a)
                .unwrap_or_else(|| vec![ChangelogMode::NONE; self.count_nodes()])
        });
        let mut out = String::new();
        let mut modes = modes.as_deref().map(|m| m.iter());
        // Writing into a String cannot fail.
        let _ = self.write_tree(&mut out, 0, &mut modes);
        out
    }

    /// Nodes in this subtree.
    fn count_nodes(&self) -> usize {
        1 + self.inputs().iter().map(|i| i.count_nodes()).sum::<usize>()
    }

    fn write_tree(
        &self,
        out: &mut String,
        depth: usize,
        modes: &mut Option<std::slice::Iter<'_, ChangelogMode>>,
    ) -> fmt::Result {
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
            LogicalPlan::Expand { input, ids, .. } => {
                let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
                write!(f, "Expand($e=[{}])", ids.join(", "))?;
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
            LogicalPlan::GroupAggregate { .. }
            | LogicalPlan::ChangelogNormalize { .. }
            | LogicalPlan::Over { .. }
            | LogicalPlan::Rank { .. }
            | LogicalPlan::Deduplicate { .. }
            | LogicalPlan::TemporalSort { .. }
            | LogicalPlan::SinkMaterialize { .. } => {
                f.write_str(&self.flink_node_string())?;
                self.inputs()
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
                left,
                right,
                keys,
                kind,
                ..
            } => {
                write!(f, "Join(kind=[{kind:?}], keys=[{}])", keys.len())?;
                vec![left, right]
            }
            LogicalPlan::TemporalJoin {
                left,
                right,
                keys,
                kind,
                ..
            } => {
                write!(f, "TemporalJoin(kind=[{kind:?}], keys=[{}])", keys.len())?;
                vec![left, right]
            }
            LogicalPlan::LookupJoin {
                left,
                right,
                keys,
                condition,
                kind,
                ..
            } => {
                let table = match right.as_ref() {
                    LogicalPlan::Scan { table, .. } => table.name.to_string(),
                    _ => String::from("?"),
                };
                let lookup: Vec<String> = keys
                    .iter()
                    .map(|(_, r)| match r.as_column() {
                        Some(c) => right.schema().fields[c].name.clone(),
                        None => String::from("?"),
                    })
                    .collect();
                write!(
                    f,
                    "LookupJoin(table=[{table}], joinType=[{kind:?}], lookup=[{}]{})",
                    lookup.join(", "),
                    if condition.is_some() { ", where=[..]" } else { "" }
                )?;
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
        if let Some(modes) = modes.as_mut() {
            let mode = modes.next().copied().unwrap_or(ChangelogMode::NONE);
            let details = self.changelog_details(mode);
            match head.strip_suffix(')') {
                Some(open) => head = format!("{open}, {details})"),
                None => head = format!("{head}({details})"),
            }
        }
        writeln!(out, "{pad}{head} -> [{}]", self.schema())?;
        for c in children {
            c.write_tree(out, depth + 1, modes)?;
        }
        Ok(())
    }

    /// `changelogMode=[I]`, then `upsertKeys=[[a], [b, c]]` when the node has upsert keys.
    fn changelog_details(&self, mode: ChangelogMode) -> String {
        let mut details = format!("changelogMode={mode}");
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

impl LogicalPlan {
    /// The node as Flink's plans and messages name it, for the nodes Flink's planner errors
    /// point at (`GroupAggregate(groupBy=[k], select=[k, COUNT(*) AS EXPR$1])`); other nodes
    /// by their kind.
    pub fn flink_node_string(&self) -> String {
        match self {
            LogicalPlan::GroupAggregate {
                input,
                keys,
                aggs,
                agg_names,
                schema,
                state_ttl,
            } => {
                let column = |e: &crate::expr::BoundExpr| match e.as_column() {
                    Some(c) => input
                        .schema()
                        .fields
                        .get(c)
                        .map_or("?".to_string(), |f| f.name.clone()),
                    None => "$expr".to_string(),
                };
                let key_names: Vec<String> = schema.fields[..keys.len()]
                    .iter()
                    .map(|f| f.name.clone())
                    .collect();
                // Over an updating input each call must retract: Flink names it so.
                let retract = if input.modify_kinds().is_insert_only() {
                    ""
                } else {
                    "_RETRACT"
                };
                let mut select = key_names.clone();
                for (a, name) in aggs.iter().zip(agg_names) {
                    let args = if a.args.is_empty() {
                        "*".to_string()
                    } else {
                        a.args.iter().map(column).collect::<Vec<_>>().join(", ")
                    };
                    let distinct = if a.distinct { "DISTINCT " } else { "" };
                    select.push(format!("{}{retract}({distinct}{args}) AS {name}", a.kind.name()));
                }
                let group_by = if keys.is_empty() {
                    String::new()
                } else {
                    format!("groupBy=[{}], ", key_names.join(", "))
                };
                let hint = state_ttl
                    .as_ref()
                    .map(|h| format!(", stateTtlHints=[[[STATE_TTL options:[{}]]]]", h.text))
                    .unwrap_or_default();
                format!("GroupAggregate({group_by}select=[{}]{hint})", select.join(", "))
            }
            LogicalPlan::ChangelogNormalize {
                input,
                keys,
                condition,
            } => {
                let names: Vec<&str> = keys
                    .iter()
                    .filter_map(|k| input.schema().fields.get(*k).map(|f| f.name.as_str()))
                    .collect();
                // Spate's plans do not print expressions; Flink's shows the condition's text.
                let condition = if condition.is_some() {
                    ", condition=[..]"
                } else {
                    ""
                };
                format!("ChangelogNormalize(key=[{}]{condition})", names.join(", "))
            }
            // Flink shows it on its sink (`upsertMaterialize=[true], conflictStrategy=[..]`) and
            // names the operator `SinkMaterializer(pk=[..])`.
            LogicalPlan::SinkMaterialize {
                input, pk, strategy, ..
            } => {
                let names: Vec<&str> = pk
                    .iter()
                    .filter_map(|k| input.schema().fields.get(*k).map(|f| f.name.as_str()))
                    .collect();
                format!(
                    "SinkMaterializer(pk=[{}], conflictStrategy=[{}])",
                    names.join(", "),
                    strategy.name()
                )
            }
            LogicalPlan::Scan { table, schema, .. } => {
                let fields: Vec<&str> = schema.fields.iter().map(|f| f.name.as_str()).collect();
                format!(
                    "TableSourceScan(table=[[default_catalog, default_database, {}]], fields=[{}])",
                    table.name,
                    fields.join(", ")
                )
            }
            LogicalPlan::Over {
                input,
                partition_by,
                order_by,
                calls,
                aggs,
                lags,
                frame,
                ..
            } => {
                let names = columns(input, partition_by);
                let mut calls: Vec<String> = calls.iter().map(|c| format!("{}()", c.name())).collect();
                calls.extend(aggs.iter().map(|a| a.kind.name().to_string()));
                calls.extend(lags.iter().map(|l| format!("LAG(offset={})", l.offset)));
                let frame = match (frame.rows, frame.preceding) {
                    (_, None) if aggs.is_empty() && lags.is_empty() => String::new(),
                    (rows, None) => format!(", {} UNBOUNDED PRECEDING", if rows { "ROWS" } else { "RANGE" }),
                    (true, Some(n)) => format!(", ROWS {n} PRECEDING"),
                    (false, Some(ms)) => format!(", RANGE {ms}ms PRECEDING"),
                };
                format!(
                    "OverAggregate(partitionBy=[{}], orderBy=[{}]{frame}, select=[{}])",
                    names.join(", "),
                    sort_keys(input, order_by),
                    calls.join(", ")
                )
            }
            // Flink's `Limit`: a rank without partition or order.
            LogicalPlan::Rank {
                partition_by,
                order_by,
                range,
                window: None,
                ..
            } if partition_by.is_empty() && order_by.is_empty() => format!(
                "Limit(offset=[{}], fetch=[{}])",
                range.start - 1,
                range.end - range.start + 1
            ),
            LogicalPlan::Rank {
                input,
                partition_by,
                order_by,
                kind,
                range,
                output_rank,
                window,
                ..
            } => {
                let range = match range.end_column {
                    Some(c) => format!("rankEnd={}", columns(input, &[c]).join("")),
                    None => range.to_string(),
                };
                let (node, strategy) = match window {
                    Some(_) => ("WindowRank".to_string(), String::new()),
                    None => (
                        "Rank".to_string(),
                        format!(
                            "strategy=[{}], ",
                            super::effective_rank_strategy(input, partition_by, order_by)
                        ),
                    ),
                };
                format!(
                    "{node}({strategy}rankType=[{}], rankRange=[{range}], partitionBy=[{}], orderBy=[{}], outputRankNumber=[{output_rank}])",
                    kind.name(),
                    columns(input, partition_by).join(", "),
                    sort_keys(input, order_by),
                )
            }
            LogicalPlan::TemporalSort { input, order_by, .. } => {
                format!("TemporalSort(orderBy=[{}])", sort_keys(input, order_by))
            }
            LogicalPlan::Deduplicate {
                input,
                keys,
                rowtime,
                keep_last,
                window,
                ..
            } => format!(
                "{}(keep=[{}], key=[{}], order=[{}])",
                if window.is_some() {
                    "WindowDeduplicate"
                } else {
                    "Deduplicate"
                },
                if *keep_last { "LastRow" } else { "FirstRow" },
                columns(input, keys).join(", "),
                if *rowtime { "ROWTIME" } else { "PROCTIME" }
            ),
            other => {
                let text = other.explain(false);
                let head = text.lines().next().unwrap_or("");
                head.split(" -> ").next().unwrap_or(head).to_string()
            }
        }
    }
}

/// The names of `input`'s columns `cols`.
fn columns<'a>(input: &'a LogicalPlan, cols: &[usize]) -> Vec<&'a str> {
    cols.iter()
        .map(|c| input.schema().fields.get(*c).map_or("?", |f| f.name.as_str()))
        .collect()
}

/// `price DESC, id ASC`, as Flink's plans show an order.
fn sort_keys(input: &LogicalPlan, keys: &[super::SortKey]) -> String {
    keys.iter()
        .map(|k| {
            let name = input
                .schema()
                .fields
                .get(k.column)
                .map_or("?", |f| f.name.as_str());
            format!("{name} {}", if k.ascending { "ASC" } else { "DESC" })
        })
        .collect::<Vec<_>>()
        .join(", ")
}
