//! `GROUP BY` and aggregates: window aggregates (over a window TVF or a legacy group window),
//! aggregates over rows that already carry their window, and the scopes `SELECT`, `HAVING` and
//! `ORDER BY` bind in over groups.

use super::*;

impl Binder<'_> {
    pub(super) fn grouped(
        &mut self,
        input: LogicalPlan,
        s: &Select,
        agg_calls: Vec<ast::Function>,
    ) -> Result<LogicalPlan> {
        let in_schema = input.schema().clone();
        let scope = RelScope { schema: &in_schema };
        // Which group-by items are window properties, legacy group windows or keys.
        let mut key_exprs: Vec<&Expr> = Vec::new();
        // For each group-by item, its position among the keys (`None`: a window item).
        let mut key_index: Vec<Option<usize>> = Vec::new();
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
                key_index.push(None);
                continue;
            }
            let b = expr::bind(g, &scope)?;
            match b
                .as_column()
                .and_then(|i| attached.as_ref().and_then(|w| w.property(i)))
            {
                Some(p) => {
                    window_cols.push(p);
                    key_index.push(None);
                }
                None => {
                    key_index.push(Some(key_exprs.len()));
                    key_exprs.push(g);
                }
            }
        }
        // The windowed input: a window TVF (possibly filtered), a legacy group window, or rows
        // that carry the window of an earlier window aggregate.
        let (base, window, time_col, event_time, stripped, partition_by) = match legacy {
            Some((_, spec, col, ev)) => (input, spec, col, ev, None, Vec::new()),
            None if !is_window_assign(&input) => {
                return self.attached_aggregate(input, attached, &window_cols, s, key_exprs, agg_calls);
            }
            None => {
                if !(window_cols.contains(&WindowProperty::Start)
                    && window_cols.contains(&WindowProperty::End))
                {
                    // The windowed rows are a table like any other: an updating aggregate.
                    return self.group_aggregate(input, s, &s.group_by, agg_calls);
                }
                let s = strip_window_assign(input)?;
                (
                    s.base,
                    s.window,
                    s.time_col,
                    s.event_time,
                    Some(s.at),
                    s.partition_by,
                )
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
        // A session window aggregate cuts sessions per group key. Grouped by fewer keys than
        // its partition, Flink aggregates the per-partition sessions again (a window table
        // function under a `GroupAggregate`), which Spate does not plan yet.
        if let Some(p) = partition_by
            .iter()
            .find(|p| !keys.iter().any(|k| k.as_column() == Some(**p)))
        {
            return Err(unsupported(
                format!(
                    "a SESSION window aggregate that does not group by its PARTITION BY column '{}'",
                    base_schema.fields.get(*p).map_or("?", |f| f.name.as_str())
                ),
                None,
            ));
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
        // Grouping sets: the window in every set, the keys expanded below the window aggregate.
        let sets = s
            .grouping_sets
            .as_ref()
            .map(|sets| super::grouping_sets::window_key_sets(sets, &key_index))
            .transpose()?;
        let super::grouping_sets::Expanded {
            plan: base,
            keys,
            key_fields,
            grouping,
        } = super::grouping_sets::expand_below(base, keys, key_fields, sets.as_deref())?;
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
            n_properties: 3,
            input_plan_props: &|i| property_of_tvf_column(tvf_width, i),
            legacy_name: legacy.map(|(f, ..)| f.name.base().to_ascii_uppercase()),
            grouping: grouping.as_ref(),
        };
        select_over_groups(agg_plan.clone(), s, &out_scope)
    }

    /// `GROUP BY window_start, window_end, ..` over rows that carry the window of an earlier
    /// window aggregate (Flink's cascading window aggregation): each window and key once, when
    /// the watermark passes the window's end.
    pub(super) fn attached_aggregate(
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
            return self.group_aggregate(input, s, &s.group_by, agg_calls);
        };
        if s.grouping_sets.is_some() {
            return Err(unsupported(
                "GROUPING SETS, ROLLUP and CUBE in window aggregates (they are supported in GROUP BY without a window)",
                None,
            ));
        }
        let in_schema = input.schema().clone();
        let scope = RelScope { schema: &in_schema };
        let (keys, mut fields) = bind_keys(&key_exprs, &scope, &in_schema)?;
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
            n_properties: 3,
            input_plan_props: &props,
            legacy_name: None,
            grouping: None,
        };
        select_over_groups(agg_plan.clone(), s, &out_scope)
    }
}

impl Binder<'_> {
    /// `GROUP BY` without a window: Flink's updating `GroupAggregate` (every GROUP BY item a
    /// key, window columns included).
    pub(super) fn group_aggregate(
        &mut self,
        input: LogicalPlan,
        s: &Select,
        group_by: &[Expr],
        agg_calls: Vec<ast::Function>,
    ) -> Result<LogicalPlan> {
        let in_schema = input.schema().clone();
        let scope = RelScope { schema: &in_schema };
        let key_exprs: Vec<&Expr> = group_by.iter().collect();
        // A key keeps its value but not its time attribute (the fields made have none).
        let (keys, key_fields) = bind_keys(&key_exprs, &scope, &in_schema)?;
        // Grouping sets: the keys expanded below the aggregate, which groups by them and `$e`;
        // aggregates read the input's columns, which the Expand keeps in place.
        let super::grouping_sets::Expanded {
            plan: input,
            keys,
            key_fields: mut fields,
            grouping,
        } = super::grouping_sets::expand_below(input, keys, key_fields, s.grouping_sets.as_deref())?;
        let aggs = agg_calls
            .iter()
            .map(|f| bind_aggregate(f, &scope))
            .collect::<Result<Vec<_>>>()?;
        for (i, a) in aggs.iter().enumerate() {
            fields.push(Field::new(format!("$agg{i}"), a.ty.clone()));
        }
        let n_keys = keys.len();
        let agg_names = flink_agg_names(s, &agg_calls, n_keys);
        let agg_plan = LogicalPlan::GroupAggregate {
            input: Box::new(input),
            keys,
            aggs,
            agg_names,
            schema: Schema { fields },
            state_ttl: None,
        };
        let out_scope = GroupedScope {
            input: &in_schema,
            output: agg_plan.schema(),
            key_exprs: &key_exprs,
            agg_calls: &agg_calls,
            n_keys,
            n_properties: 0,
            input_plan_props: &|_| None,
            legacy_name: None,
            grouping: grouping.as_ref(),
        };
        select_over_groups(agg_plan.clone(), s, &out_scope)
    }
}

/// Grouping keys bound over the input, with their output fields: a plain column keeps its
/// name, an expression is `$key<i>`; no field is a time attribute.
fn bind_keys(
    key_exprs: &[&Expr],
    scope: &RelScope<'_>,
    in_schema: &Schema,
) -> Result<(Vec<BoundExpr>, Vec<Field>)> {
    let mut keys = Vec::new();
    let mut fields = Vec::new();
    for (i, k) in key_exprs.iter().enumerate() {
        let b = expr::bind(k, scope)?;
        let name = match (k.without_parentheses(), b.as_column()) {
            (Expr::Column(_), Some(c)) => in_schema.fields[c].name.clone(),
            _ => format!("$key{i}"),
        };
        fields.push(Field::new(name, b.ty().clone()));
        keys.push(b);
    }
    Ok((keys, fields))
}

/// The names Flink's plans give aggregate calls: a SELECT item that is just the call names it
/// by its alias, or `EXPR$n` after its position; a call only in HAVING is `$fn` after its
/// output column.
fn flink_agg_names(s: &Select, agg_calls: &[ast::Function], n_keys: usize) -> Vec<String> {
    agg_calls
        .iter()
        .enumerate()
        .map(|(i, call)| {
            s.projection
                .iter()
                .enumerate()
                .find_map(|(pos, item)| match item {
                    SelectItem::Expr { expr, alias } => match expr.without_parentheses() {
                        Expr::Function(f) if f == call => Some(match alias {
                            Some(a) => a.as_str().to_string(),
                            None => format!("EXPR${pos}"),
                        }),
                        _ => None,
                    },
                    _ => None,
                })
                .unwrap_or_else(|| format!("$f{}", n_keys + i))
        })
        .collect()
}

/// SELECT and HAVING over a grouped aggregate's output rows.
pub(super) fn select_over_groups(
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

pub(super) struct EmptyScope;

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
pub(super) struct GroupedScope<'a> {
    pub(super) input: &'a Schema,
    pub(super) output: &'a Schema,
    pub(super) key_exprs: &'a [&'a Expr],
    pub(super) agg_calls: &'a [ast::Function],
    pub(super) n_keys: usize,
    /// Window property columns between the keys and the aggregates (3 for a window
    /// aggregate, none for a `GroupAggregate`).
    pub(super) n_properties: usize,
    pub(super) input_plan_props: &'a dyn Fn(usize) -> Option<WindowProperty>,
    pub(super) legacy_name: Option<String>,
    /// With grouping sets: where `GROUPING(..)` reads which set a group is of.
    pub(super) grouping: Option<&'a super::grouping_sets::GroupingIds>,
}

impl GroupedScope<'_> {
    pub(super) fn column_at(&self, i: usize) -> BoundExpr {
        BoundExpr::Column {
            index: i,
            ty: self.output.fields[i].ty.clone(),
        }
    }

    pub(super) fn property(&self, p: WindowProperty) -> BoundExpr {
        let offset = match p {
            WindowProperty::Start => 0,
            WindowProperty::End => 1,
            WindowProperty::Time => 2,
        };
        self.column_at(self.n_keys + offset)
    }
}

impl GroupedScope<'_> {
    /// `GROUPING(k..)` / `GROUPING_ID(k..)`: which of its arguments (grouping keys) the
    /// group's set leaves out, a bit per argument; 0 without grouping sets.
    fn grouping(&self, f: &ast::Function) -> Result<BoundExpr> {
        let at = f.name.0.first().and_then(|i| i.loc.pos());
        if f.args.is_empty() {
            return Err(SqlError::validation(
                format!("{} needs at least one grouping key", f.name),
                at,
            ));
        }
        let mut positions = Vec::with_capacity(f.args.len());
        for a in &f.args {
            let a = a.without_parentheses();
            match self.key_exprs.iter().position(|k| k.without_parentheses() == a) {
                Some(p) => positions.push(p),
                None => {
                    return Err(SqlError::validation(
                        format!(
                            "Argument to {} operator must be a grouped expression",
                            f.name.base().to_ascii_uppercase()
                        ),
                        at,
                    ));
                }
            }
        }
        let bigint = DataType::new(TypeKind::BigInt).not_null();
        Ok(match self.grouping {
            Some(g) => g.call(&positions, &self.output.fields[g.column].ty),
            None => BoundExpr::Literal {
                value: crate::value::Value::Int(0),
                ty: bigint,
            },
        })
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
                return Some(Ok(self.column_at(self.n_keys + self.n_properties + a)));
            }
            let name = f.name.base().to_ascii_uppercase();
            if name == "GROUPING" || name == "GROUPING_ID" {
                return Some(self.grouping(f));
            }
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
                // Flink 2.3 (2026-11-27): TUMBLE_PROCTIME is PROCTIME_MATERIALIZE of the
                // window's proctime, the processing time when the row is emitted, typed
                // TIMESTAMP_LTZ(3) NOT NULL; not the window's last millisecond.
                if suffix == "PROCTIME" {
                    return Some(Ok(crate::expr::BoundExpr::Call {
                        func: crate::expr::ScalarFunc::Proctime,
                        args: Vec::new(),
                        ty: crate::types::DataType::new(crate::types::TypeKind::TimestampLtz(3)).not_null(),
                    }));
                }
                return Some(Ok(self.property(p)));
            }
        }
        None
    }
}

pub(super) fn collect_aggregates(e: &Expr, out: &mut Vec<ast::Function>) {
    match e {
        // `SUM(x) OVER (..)` is an OVER aggregate, not a group's; aggregates in its arguments
        // are the group's (`SUM(COUNT(*)) OVER (..)` over a grouped query).
        Expr::Function(f) if f.over.is_some() => f.args.iter().for_each(|a| collect_aggregates(a, out)),
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
        | Expr::IsJson { expr, .. }
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
        Expr::JsonArray { values, .. } | Expr::Overlaps(values) => {
            values.iter().for_each(|x| collect_aggregates(x, out));
        }
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

pub(super) fn bind_aggregate(f: &ast::Function, scope: &RelScope<'_>) -> Result<AggCall> {
    let at = f.name.0.first().and_then(|i| i.loc.pos());
    let mut kind =
        AggKind::from_name(f.name.base()).ok_or_else(|| SqlError::validation("not an aggregate", at))?;
    if let AggKind::ArrayAgg { ignore_nulls } = &mut kind {
        *ignore_nulls = f.ignore_nulls;
    }
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
pub(super) fn output_name(e: &Expr, alias: Option<&Ident>, pos: usize) -> String {
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
