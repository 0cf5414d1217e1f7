//! Scanning a table: its columns, computed columns and watermark (`WATERMARK FOR`).

use super::*;

/// A table's scan: every column in declaration order; computed columns bound over the row.
pub(super) fn scan(t: &TableDef) -> Result<LogicalPlan> {
    let mut fields: Vec<Field> = Vec::new();
    for c in &t.columns {
        let ty = match &c.kind {
            ColumnKind::Physical(ty) | ColumnKind::Metadata { ty, .. } => ty.clone(),
            // Typed below, once the physical columns are known.
            ColumnKind::Computed(_) => DataType::new(TypeKind::Boolean),
        };
        fields.push(Field::new(c.name.value.clone(), ty));
    }
    let mut computed = Vec::new();
    for (i, c) in t.columns.iter().enumerate() {
        if let ColumnKind::Computed(e) = &c.kind {
            let _ = i;
            let visible = Schema {
                fields: fields
                    .iter()
                    .enumerate()
                    .map(|(j, f)| {
                        let mut f = f.clone();
                        // Flink: computed columns read physical and metadata columns only.
                        if matches!(t.columns[j].kind, ColumnKind::Computed(_)) {
                            f.name = String::new();
                        }
                        f
                    })
                    .collect(),
            };
            let b = expr::bind(e, &RelScope { schema: &visible })?;
            fields[i].ty = b.ty().clone();
            if matches!(
                b,
                BoundExpr::Call {
                    func: crate::expr::ScalarFunc::Proctime,
                    ..
                }
            ) {
                fields[i].time = Some(TimeAttr::Proctime);
            }
            computed.push((i, b));
        }
    }
    let mut rowtime = None;
    if let Some(w) = &t.watermark {
        let col = column_index(
            &Schema {
                fields: fields.clone(),
            },
            &w.column,
        )?;
        fields[col].time = Some(TimeAttr::Rowtime);
        let delay = watermark_delay(&w.expr, &w.column)?;
        rowtime = Some(Rowtime {
            column: col,
            delay_ms: delay,
        });
    }
    for f in &mut fields {
        f.qualifier = Some(t.name.base().to_string());
    }
    let keys: Option<Vec<usize>> = t.primary_key.as_ref().map(|pk| {
        pk.columns
            .iter()
            .filter_map(|c| fields.iter().position(|f| f.name == c.as_str()))
            .collect()
    });
    let scan = LogicalPlan::Scan {
        table: Box::new(t.clone()),
        computed,
        rowtime,
        used: None,
        schema: Schema { fields },
    };
    // An upsert source's records are upserts by key: normalized into a changelog, as Flink
    // plans it (the catalog makes sure such a table has a primary key).
    Ok(match keys {
        Some(keys)
            if t.option("connector")
                .is_some_and(|c| c.eq_ignore_ascii_case("upsert-kafka")) =>
        {
            LogicalPlan::ChangelogNormalize {
                input: Box::new(scan),
                keys,
                condition: None,
            }
        }
        _ => scan,
    })
}

/// The delay of `WATERMARK FOR ts AS ts [- INTERVAL ..]`.
pub(super) fn watermark_delay(e: &Expr, column: &Ident) -> Result<i64> {
    let is_col =
        |e: &Expr| matches!(e.without_parentheses(), Expr::Column(p) if p.len() == 1 && p[0] == *column);
    match e.without_parentheses() {
        x if is_col(x) => Ok(0),
        Expr::Binary {
            left,
            op: ast::BinaryOp::Minus,
            right,
        } if is_col(left) => {
            let ms = constant_interval(right, "WATERMARK")?;
            if ms < 0 {
                return Err(SqlError::validation(
                    "WATERMARK: the delay must not be negative",
                    column.loc.pos(),
                ));
            }
            Ok(ms)
        }
        other => Err(SqlError::unsupported(
            format!(
                "the watermark strategy '{other}' (Spate supports `{column}` and `{column} - INTERVAL ...`)"
            ),
            column.loc.pos().unwrap_or(crate::error::Position::new(1, 1)),
        )),
    }
}
