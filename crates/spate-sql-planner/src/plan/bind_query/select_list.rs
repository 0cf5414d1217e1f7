//! The `SELECT` list: each item bound over the input, `*` and `t.*` expanded.

use super::*;

pub(super) fn project(input: LogicalPlan, items: &[SelectItem]) -> Result<LogicalPlan> {
    let in_schema = input.schema().clone();
    let scope = RelScope { schema: &in_schema };
    let mut exprs = Vec::new();
    let mut fields = Vec::new();
    for (pos, item) in items.iter().enumerate() {
        match item {
            SelectItem::Wildcard => {
                for (i, f) in in_schema.fields.iter().enumerate() {
                    exprs.push(BoundExpr::Column {
                        index: i,
                        ty: f.ty.clone(),
                    });
                    fields.push(f.clone());
                }
            }
            SelectItem::QualifiedWildcard(q) => {
                let mut any = false;
                for (i, f) in in_schema.fields.iter().enumerate() {
                    if f.qualifier.as_deref() == Some(q.base()) {
                        any = true;
                        exprs.push(BoundExpr::Column {
                            index: i,
                            ty: f.ty.clone(),
                        });
                        fields.push(f.clone());
                    }
                }
                if !any {
                    return Err(SqlError::validation(
                        format!("unknown table '{q}' in {q}.*"),
                        q.0.first().and_then(|i| i.loc.pos()),
                    ));
                }
            }
            SelectItem::Expr { expr: e, alias } => {
                let b = expr::bind(e, &scope)?;
                let mut f = Field::new(output_name(e, alias.as_ref(), pos), b.ty().clone());
                if let Some(c) = b.as_column() {
                    f.time = in_schema.fields[c].time;
                    if alias.is_none() {
                        f.qualifier = in_schema.fields[c].qualifier.clone();
                    }
                } else if let BoundExpr::Call {
                    func: crate::expr::ScalarFunc::Proctime,
                    ..
                } = &b
                {
                    f.time = Some(TimeAttr::Proctime);
                }
                fields.push(f);
                exprs.push(b);
            }
        }
    }
    for f in fields.iter_mut() {
        f.qualifier = None;
    }
    Ok(LogicalPlan::Project {
        input: Box::new(input),
        exprs,
        schema: Schema { fields },
    })
}
