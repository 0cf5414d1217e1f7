//! `UNION ALL`: inputs of the same column count, their types widened to common ones.

use super::*;

pub(super) fn union(l: LogicalPlan, r: LogicalPlan) -> Result<LogicalPlan> {
    let (ls, rs) = (l.schema().clone(), r.schema().clone());
    if ls.fields.len() != rs.fields.len() {
        return Err(SqlError::validation(
            format!(
                "UNION ALL: the inputs have {} and {} columns",
                ls.fields.len(),
                rs.fields.len()
            ),
            None,
        ));
    }
    let mut fields = Vec::new();
    for (a, b) in ls.fields.iter().zip(&rs.fields) {
        let ty = expr::common_type([&a.ty, &b.ty].into_iter(), "UNION ALL")?;
        let mut f = Field::new(a.name.clone(), ty);
        if a.time == b.time {
            f.time = a.time;
        }
        fields.push(f);
    }
    let schema = Schema { fields };
    let conform = |p: LogicalPlan| -> LogicalPlan {
        let s = p.schema().clone();
        if s.fields.iter().zip(&schema.fields).all(|(a, b)| a.ty == b.ty) {
            return p;
        }
        let exprs = s
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                expr::coerce(
                    BoundExpr::Column {
                        index: i,
                        ty: f.ty.clone(),
                    },
                    &schema.fields[i].ty,
                )
            })
            .collect();
        LogicalPlan::Project {
            input: Box::new(p),
            exprs,
            schema: schema.clone(),
        }
    };
    let mut inputs = Vec::new();
    for p in [l, r] {
        match p {
            LogicalPlan::Union { inputs: inner, .. } => inputs.extend(inner.into_iter().map(conform)),
            other => inputs.push(conform(other)),
        }
    }
    Ok(LogicalPlan::Union { inputs, schema })
}
