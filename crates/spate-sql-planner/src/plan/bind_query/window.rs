//! Window table functions (`TUMBLE`, `HOP`, `CUMULATE`, `SESSION`) and legacy group windows:
//! binding them, finding a plan's window columns, and taking a window assignment back off a plan
//! that a window aggregate or join absorbs.

use super::*;

impl Binder<'_> {
    pub(super) fn window_tvf(&mut self, tvf: &WindowTvf) -> Result<LogicalPlan> {
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
                        "The window function requires the timecol is a time attribute type, but is {}. ({}'s time column '{}' must be a WATERMARK FOR column or PROCTIME(); no column is one after a regular join or an aggregate without a window.)",
                        field.ty,
                        tvf.kind.function_name(),
                        field.name
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
        let partition_by = tvf
            .partition_by
            .iter()
            .map(|p| column_index(&schema, p))
            .collect::<Result<Vec<_>>>()?;
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
            partition_by,
            schema: Schema { fields },
        })
    }

    /// `TUMBLE(ts, size)`, `HOP(ts, slide, size)`, `SESSION(ts, gap)` in a GROUP BY.
    pub(super) fn legacy_window(
        &self,
        f: &ast::Function,
        schema: &Schema,
    ) -> Result<Option<(WindowSpec, usize, bool)>> {
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

/// Where a plan's `window_start` and `window_end` columns are, when its rows come from a window
/// TVF through projections, filters and unnests.
pub(super) struct WindowColumns {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) time: Option<usize>,
    pub(super) spec: WindowSpec,
    /// Whether the windows were cut over a TIMESTAMP_LTZ attribute, so their bounds are
    /// wall-clock times of the session zone (known even when `window_time` was projected away).
    pub(super) local: bool,
}

impl WindowColumns {
    /// Which window column `col` is.
    pub(super) fn property(&self, col: usize) -> Option<WindowProperty> {
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

pub(super) fn window_columns(plan: &LogicalPlan) -> Option<WindowColumns> {
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

/// The type of `window_time` over a time attribute of type `time_ty` (Flink: `window_start`
/// and `window_end` are always `TIMESTAMP(3)`, wall-clock times of the session zone when the
/// attribute is a `TIMESTAMP_LTZ`; `window_time` keeps the attribute's kind).
pub(super) fn window_timestamp_kind(time_ty: &DataType) -> TypeKind {
    match time_ty.kind {
        TypeKind::TimestampLtz(_) => TypeKind::TimestampLtz(3),
        _ => TypeKind::Timestamp(3),
    }
}

pub(super) fn property_of_tvf_column(width: Option<usize>, col: usize) -> Option<WindowProperty> {
    let w = width?;
    match col.checked_sub(w)? {
        0 => Some(WindowProperty::Start),
        1 => Some(WindowProperty::End),
        2 => Some(WindowProperty::Time),
        _ => None,
    }
}

/// Whether `plan` is a window TVF, possibly filtered or unnested (what a TVF aggregation reads).
pub(super) fn is_window_assign(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::WindowAssign { .. } => true,
        LogicalPlan::Filter { input, .. } | LogicalPlan::Unnest { input, .. } => is_window_assign(input),
        _ => false,
    }
}

/// The rows under a TVF aggregation without their window columns: the window assignment taken
/// out, the filters and unnests above it moved below it.
pub(super) struct StrippedWindow {
    pub(super) base: LogicalPlan,
    pub(super) window: WindowSpec,
    pub(super) time_col: usize,
    pub(super) event_time: bool,
    /// The `PARTITION BY` columns of a `SESSION` TVF (columns of `base`).
    pub(super) partition_by: Vec<usize>,
    pub(super) at: WindowColumnsAt,
}

/// Where `window_start`, `window_end` and `window_time` are in windowed rows; the columns
/// after them (an unnest's elements) are 3 places further left in the rows without them.
#[derive(Clone, Copy)]
pub(super) struct WindowColumnsAt(pub(super) usize);

impl WindowColumnsAt {
    /// Whether windowed column `col` is a window column.
    pub(super) fn is_window_column(self, col: usize) -> bool {
        (self.0..self.0 + 3).contains(&col)
    }

    /// `e`, over the windowed rows, over the rows without window columns (it must not read
    /// them).
    pub(super) fn over_base(self, e: &BoundExpr) -> BoundExpr {
        let at = self.0;
        e.map_columns(&|i| if i >= at + 3 { i - 3 } else { i })
    }

    pub(super) fn reads_window(self, e: &BoundExpr) -> bool {
        let mut reads = false;
        e.visit_columns(&mut |i| reads |= self.is_window_column(i));
        reads
    }
}

/// The window TVF under an aggregation, with any filters and unnests moved below the window
/// assignment.
pub(super) fn strip_window_assign(plan: LogicalPlan) -> Result<StrippedWindow> {
    match plan {
        LogicalPlan::WindowAssign {
            input,
            window,
            time_col,
            event_time,
            partition_by,
            ..
        } => Ok(StrippedWindow {
            at: WindowColumnsAt(input.schema().fields.len()),
            base: *input,
            window,
            time_col,
            event_time,
            partition_by,
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
