//! Sources of rows: a table scan (the connector's rows completed with their computed columns,
//! integer expressions first and out of the general loop) and a constant `VALUES`.

use super::*;

impl Translator<'_> {
    /// A table's rows: its connector's, with the computed columns the query reads.
    pub(super) fn scan(
        &mut self,
        table: &crate::ast::TableDef,
        computed: &[(usize, BoundExpr)],
        rowtime: Option<crate::plan::Rowtime>,
        used: &Option<crate::plan::Projection>,
    ) -> Result<DataStream<Row>> {
        // A computed column nothing reads stays NULL (its inputs may not be decoded).
        let computed: Vec<&(usize, BoundExpr)> = computed
            .iter()
            .filter(|(i, _)| {
                used.as_ref()
                    .is_none_or(|u| u.get(*i).is_some_and(Option::is_some))
            })
            .collect();
        // Reading the clock per row costs more than most expressions: only when asked.
        let reads_clock = computed.iter().any(|(_, e)| reads_clock(e));
        let compiled: Vec<(usize, CompiledExpr)> = computed.iter().map(|(i, e)| (*i, e.compile())).collect();
        // Integer trees need no context and are stored straight from registers: they
        // run first, out of the general loop (computed columns read only physical and
        // metadata columns, so their order does not matter).
        let ints: Vec<(usize, IntExpr)> = compiled
            .iter()
            .filter_map(|(i, e)| Some((*i, e.as_int()?.clone())))
            .collect();
        let general: Vec<(usize, CompiledExpr)> = compiled
            .into_iter()
            .filter(|(_, e)| e.as_int().is_none())
            .collect();
        let zone = self.ctx.zone;
        let complete: CompleteRows = Arc::new(move |records: &mut [Record<Row>]| {
            // The integer trees column by column, each a loop of its own shape.
            let ints_failed = ints
                .iter()
                .any(|(i, e)| e.store_each(records, *i, |r| &mut r.value).is_err());
            if general.is_empty() && !ints_failed {
                return Ok(());
            }
            // Row by row, in order: the other columns, and after a failure the first
            // error as a row at a time meets it (rows are completed again from the
            // start; a computed column is a function of the row's own columns).
            for (j, r) in records.iter_mut().enumerate() {
                if ints_failed {
                    for (i, e) in &ints {
                        e.store(&mut r.value, *i).map_err(|err| (j, err))?;
                    }
                }
                if general.is_empty() {
                    continue;
                }
                let ctx = EvalContext {
                    watermark: i64::MIN,
                    now_millis: if reads_clock { now_millis() } else { 0 },
                    zone,
                };
                for (i, e) in &general {
                    e.eval_into(&mut r.value, *i, &ctx).map_err(|err| (j, err))?;
                }
            }
            Ok(())
        });
        let stream = connector::scan(
            self.env,
            ScanPlan {
                table: table.clone(),
                complete,
                rowtime,
                used: used.clone(),
            },
            &self.ctx,
        )?;
        let uid = self.uid(&format!("scan-{}", table.name.base()));
        Ok(stream.uid(&uid))
    }

    /// `VALUES`: its rows, evaluated once, as a bounded collection.
    pub(super) fn values(&mut self, rows: &[Vec<BoundExpr>]) -> Result<DataStream<Row>> {
        let ctx = EvalContext {
            zone: self.ctx.zone,
            ..EvalContext::default()
        };
        let mut values = Vec::with_capacity(rows.len());
        for r in rows {
            let row = r
                .iter()
                .map(|e| e.eval(&Vec::new(), &ctx))
                .collect::<std::result::Result<Row, _>>()
                .map_err(|e| SqlError::validation(format!("VALUES: {e}"), None))?;
            values.push(row);
        }
        Ok(self.env.from_collection(values))
    }
}
