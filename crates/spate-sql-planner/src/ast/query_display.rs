//! How the query tree prints as Flink SQL.

use std::fmt::{self, Display};

use super::{
    Expr, JoinKind, OrderBy, Query, Select, SelectItem, SetExpr, SetOp, TableAlias, TableRef, WindowKind,
    WindowTvf, comma_list,
};

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.with.is_empty() {
            f.write_str("WITH ")?;
            for (i, c) in self.with.iter().enumerate() {
                if i > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{}", c.name)?;
                if !c.columns.is_empty() {
                    f.write_str(" (")?;
                    comma_list(f, &c.columns, ", ")?;
                    f.write_str(")")?;
                }
                write!(f, " AS ({})", c.query)?;
            }
            f.write_str("\n")?;
        }
        write!(f, "{}", self.body)?;
        if !self.order_by.is_empty() {
            f.write_str("\nORDER BY ")?;
            comma_list(f, &self.order_by, ", ")?;
        }
        if let Some(l) = &self.limit {
            write!(f, "\nLIMIT {l}")?;
        }
        if let Some(o) = &self.offset {
            write!(f, "\nOFFSET {o}")?;
        }
        Ok(())
    }
}

impl fmt::Display for OrderBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.expr)?;
        match self.asc {
            Some(true) => f.write_str(" ASC")?,
            Some(false) => f.write_str(" DESC")?,
            None => {}
        }
        match self.nulls_first {
            Some(true) => f.write_str(" NULLS FIRST"),
            Some(false) => f.write_str(" NULLS LAST"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for SetExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SetExpr::Select(s) => s.fmt(f),
            SetExpr::Query(q) => write!(f, "({q})"),
            SetExpr::SetOp { op, all, left, right } => {
                let name = match op {
                    SetOp::Union => "UNION",
                    SetOp::Intersect => "INTERSECT",
                    SetOp::Except => "EXCEPT",
                };
                write!(f, "{left}\n{name}{}\n{right}", if *all { " ALL" } else { "" })
            }
            SetExpr::Values(rows) => {
                f.write_str("VALUES ")?;
                for (i, row) in rows.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    f.write_str("(")?;
                    comma_list(f, row, ", ")?;
                    f.write_str(")")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Select {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SELECT ")?;
        if !self.state_ttl.is_empty() {
            let options: Vec<String> = self
                .state_ttl
                .iter()
                .map(|(k, v)| format!("'{}' = '{}'", k.replace('\'', "''"), v.text.replace('\'', "''")))
                .collect();
            write!(f, "/*+ STATE_TTL({}) */ ", options.join(", "))?;
        }
        if self.distinct {
            f.write_str("DISTINCT ")?;
        }
        comma_list(f, &self.projection, ", ")?;
        if !self.from.is_empty() {
            f.write_str("\nFROM ")?;
            comma_list(f, &self.from, ", ")?;
        }
        if let Some(w) = &self.selection {
            write!(f, "\nWHERE {w}")?;
        }
        match &self.grouping_sets {
            Some(sets) => {
                f.write_str("\nGROUP BY GROUPING SETS (")?;
                for (i, set) in sets.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    let exprs: Vec<&Expr> = set.iter().filter_map(|k| self.group_by.get(*k)).collect();
                    f.write_str("(")?;
                    comma_list(f, &exprs, ", ")?;
                    f.write_str(")")?;
                }
                f.write_str(")")?;
            }
            None if !self.group_by.is_empty() => {
                f.write_str("\nGROUP BY ")?;
                comma_list(f, &self.group_by, ", ")?;
            }
            None => {}
        }
        if let Some(h) = &self.having {
            write!(f, "\nHAVING {h}")?;
        }
        for (i, (name, window)) in self.windows.iter().enumerate() {
            let lead = if i == 0 { "\nWINDOW " } else { ", " };
            write!(f, "{lead}{name} AS ({window})")?;
        }
        Ok(())
    }
}

impl fmt::Display for SelectItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Expr { expr, alias } => {
                write!(f, "{expr}")?;
                if let Some(a) = alias {
                    write!(f, " AS {a}")?;
                }
                Ok(())
            }
            SelectItem::Wildcard => f.write_str("*"),
            SelectItem::QualifiedWildcard(n) => write!(f, "{n}.*"),
        }
    }
}

impl fmt::Display for TableAlias {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, " AS {}", self.name)?;
        if !self.columns.is_empty() {
            f.write_str(" (")?;
            comma_list(f, &self.columns, ", ")?;
            f.write_str(")")?;
        }
        Ok(())
    }
}

fn write_alias(f: &mut fmt::Formatter<'_>, alias: &Option<TableAlias>) -> fmt::Result {
    match alias {
        Some(a) => a.fmt(f),
        None => Ok(()),
    }
}

impl fmt::Display for TableRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableRef::Table {
                name, alias, options, ..
            } => {
                write!(f, "{name}")?;
                if !options.is_empty() {
                    let quoted = |s: &str| format!("'{}'", s.replace('\'', "''"));
                    let options: Vec<String> = options
                        .iter()
                        .map(|(k, v)| format!("{} = {}", quoted(k), quoted(v)))
                        .collect();
                    write!(f, " /*+ OPTIONS({}) */", options.join(", "))?;
                }
                write_alias(f, alias)
            }
            TableRef::Versioned {
                name, as_of, alias, ..
            } => {
                write!(f, "{name} FOR SYSTEM_TIME AS OF {as_of}")?;
                write_alias(f, alias)
            }
            TableRef::Derived { query, alias } => {
                write!(f, "({query})")?;
                write_alias(f, alias)
            }
            TableRef::Window { tvf, alias } => {
                write!(f, "TABLE({tvf})")?;
                write_alias(f, alias)
            }
            TableRef::Unnest {
                collection,
                with_ordinality,
                alias,
                ..
            } => {
                write!(f, "UNNEST({collection})")?;
                if *with_ordinality {
                    f.write_str(" WITH ORDINALITY")?;
                }
                write_alias(f, alias)
            }
            TableRef::Join {
                left,
                right,
                kind,
                on,
            } => {
                let k = match kind {
                    JoinKind::Inner => "JOIN",
                    JoinKind::Left => "LEFT JOIN",
                    JoinKind::Right => "RIGHT JOIN",
                    JoinKind::Full => "FULL JOIN",
                    JoinKind::Cross => "CROSS JOIN",
                };
                // A join on the right nests: parenthesize it so it parses back the same way.
                if matches!(**right, TableRef::Join { .. }) {
                    write!(f, "{left}\n{k} ({right})")?;
                } else {
                    write!(f, "{left}\n{k} {right}")?;
                }
                if let Some(on) = on {
                    write!(f, " ON {on}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for WindowTvf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}(TABLE {}", self.kind.function_name(), self.table)?;
        if !self.partition_by.is_empty() {
            f.write_str(" PARTITION BY (")?;
            comma_list(f, &self.partition_by, ", ")?;
            f.write_str(")")?;
        }
        write!(f, ", DESCRIPTOR({})", self.time_col)?;
        let opt = |f: &mut fmt::Formatter<'_>, o: &Option<Expr>| match o {
            Some(o) => write!(f, ", {o}"),
            None => Ok(()),
        };
        match &self.kind {
            WindowKind::Tumble { size, offset } => {
                write!(f, ", {size}")?;
                opt(f, offset)?;
            }
            WindowKind::Hop { slide, size, offset } => {
                write!(f, ", {slide}, {size}")?;
                opt(f, offset)?;
            }
            WindowKind::Cumulate { step, size, offset } => {
                write!(f, ", {step}, {size}")?;
                opt(f, offset)?;
            }
            WindowKind::Session { gap } => write!(f, ", {gap}")?,
        }
        f.write_str(")")
    }
}
