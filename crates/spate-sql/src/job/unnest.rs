//! `UNNEST` on rows: each input row once per element of the collection it holds, the input's
//! values followed by the element's ([`crate::plan::LogicalPlan::Unnest`]). A flat map, so it
//! runs in the input's operator chain and keeps each record's timestamp.
//!
//! The collection is read where it lies in the input row, not copied out. Each element's row
//! but the last is built in place ([`row_in_place_with`]), the input's values cloned straight
//! into their slots; the last element's row is the input row itself, extended.

use crate::expr::{BoundExpr, CompiledExpr, EvalContext, EvalError};
use crate::plan::{UnnestElements, UnnestOptions};
use crate::row_memory::{RowDrop, row_in_place_with};
use crate::types::TypeKind;
use crate::value::{Row, Value};
use smallvec::SmallVec;

/// Where the collection of a row is.
#[derive(Clone)]
enum Collection {
    /// A column of the row: read in place.
    Column(usize),
    /// Computed from the row.
    Computed(CompiledExpr),
}

/// The values one element adds to a row.
#[derive(Clone, Copy)]
enum Element<'a> {
    /// An array's element, or a ROW element's fields.
    Values(&'a [Value]),
    /// A map entry's key and value.
    Entry(&'a Value, &'a Value),
}

impl<'a> Element<'a> {
    /// The values, cloned (`width` of them: `NULL`s past the element's end).
    fn to_values(self, width: usize) -> SmallVec<[Value; 4]> {
        (0..width)
            .map(|i| self.get(i).cloned().unwrap_or(Value::Null))
            .collect()
    }

    fn get(self, i: usize) -> Option<&'a Value> {
        match (self, i) {
            (Element::Values(values), _) => values.get(i),
            (Element::Entry(key, _), 0) => Some(key),
            (Element::Entry(_, value), 1) => Some(value),
            _ => None,
        }
    }
}

/// An `UNNEST` ready to run on rows.
#[derive(Clone)]
pub(super) struct UnnestFn {
    collection: Collection,
    elements: UnnestElements,
    options: UnnestOptions,
    condition: Option<CompiledExpr>,
    /// Which input columns a new row carries (the others are `NULL`), all when empty.
    carried: Vec<bool>,
    input_width: usize,
    output_width: usize,
    /// How an input row is freed when it gives no row of its own.
    input_drop: RowDrop,
    /// How a row the condition rejects is freed.
    output_drop: RowDrop,
}

/// The `ORDINALITY` of element `index` (an INT: no collection has 2^31 elements).
fn ordinal(index: usize) -> Value {
    Value::Int(index as i64 + 1)
}

impl UnnestFn {
    /// Unnests `collection` of rows of `input_types` into rows of `output_types`.
    pub(super) fn new<'t>(
        collection: &BoundExpr,
        elements: UnnestElements,
        options: UnnestOptions,
        condition: Option<&BoundExpr>,
        carried: Option<&[bool]>,
        input_types: impl ExactSizeIterator<Item = &'t TypeKind> + Clone,
        output_types: impl ExactSizeIterator<Item = &'t TypeKind> + Clone,
    ) -> Self {
        let collection = match collection.as_column() {
            Some(i) => Collection::Column(i),
            None => Collection::Computed(collection.compile()),
        };
        Self {
            collection,
            elements,
            options,
            condition: condition.map(BoundExpr::compile),
            carried: carried.map(<[bool]>::to_vec).unwrap_or_default(),
            input_width: input_types.len(),
            output_width: output_types.len(),
            input_drop: RowDrop::of(input_types),
            output_drop: RowDrop::of(output_types),
        }
    }

    /// Whether running it evaluates expressions (and so needs an [`EvalContext`]).
    pub(super) fn evaluates(&self) -> bool {
        self.condition.is_some() || matches!(self.collection, Collection::Computed(_))
    }

    /// Emits the rows of `row`'s elements (for a `LEFT JOIN`, one padded with `NULL`s when no
    /// element gives a row). Rows of all but the last element are new rows with `row`'s values
    /// cloned; the last element's is `row` itself, extended, so a row with one element costs
    /// no new row and no clone of its values.
    pub(super) fn apply(
        &self,
        row: Row,
        ctx: &EvalContext,
        emit: &mut impl FnMut(Row),
    ) -> Result<(), EvalError> {
        let mut emitted = false;
        let last = {
            let computed;
            let collection = match &self.collection {
                Collection::Column(i) => row.get(*i).unwrap_or(&Value::Null),
                Collection::Computed(e) => {
                    computed = e.eval(&row, ctx)?;
                    &computed
                }
            };
            // Each element waits for the next before it is emitted, so the last one is known.
            let mut pending: Option<(Element<'_>, usize)> = None;
            let mut each = |element, index| -> Result<(), EvalError> {
                emitted |= self.advance(&row, &mut pending, (element, index), ctx, emit)?;
                Ok(())
            };
            match (collection, self.elements) {
                (Value::Array(items), UnnestElements::Value) => {
                    for (i, item) in items.iter().enumerate() {
                        each(Element::Values(std::slice::from_ref(item)), i)?;
                    }
                }
                (Value::Array(items), UnnestElements::RowFields(_)) => {
                    for (i, item) in items.iter().enumerate() {
                        // A NULL row gives no row (Flink's), but still counts for the ordinal.
                        if let Value::Row(fields) = item {
                            each(Element::Values(fields), i)?;
                        }
                    }
                }
                (Value::Map(entries), UnnestElements::MapEntries) => {
                    for (i, (key, value)) in entries.iter().enumerate() {
                        each(Element::Entry(key, value), i)?;
                    }
                }
                // NULL, or a value of another shape than the plan's (which the binder rules out).
                _ => {}
            }
            pending.map(|(element, index)| (element.to_values(self.elements.width()), index))
        };
        let mut row = row;
        if let Some((values, index)) = last {
            row.reserve_exact(self.output_width.saturating_sub(row.len()));
            row.extend(values);
            if self.options.with_ordinality {
                row.push(ordinal(index));
            }
            match &self.condition {
                Some(c) if !c.eval_predicate(&row, ctx)? => {
                    if emitted || !self.options.outer {
                        self.output_drop.drop(row);
                        return Ok(());
                    }
                    row.truncate(self.input_width);
                }
                _ => {
                    emit(row);
                    return Ok(());
                }
            }
        }
        if !emitted && self.options.outer {
            row.resize(self.output_width, Value::Null);
            emit(row);
        } else {
            self.input_drop.drop(row);
        }
        Ok(())
    }

    /// Makes `next` the pending element, emitting the one it replaces (whether it did).
    fn advance<'a>(
        &self,
        row: &Row,
        pending: &mut Option<(Element<'a>, usize)>,
        next: (Element<'a>, usize),
        ctx: &EvalContext,
        emit: &mut impl FnMut(Row),
    ) -> Result<bool, EvalError> {
        match pending.replace(next) {
            Some((before, index)) => self.keep(self.element_row(row, before, index), ctx, emit),
            None => Ok(false),
        }
    }

    /// Emits `out` if the condition holds for it.
    fn keep(&self, out: Row, ctx: &EvalContext, emit: &mut impl FnMut(Row)) -> Result<bool, EvalError> {
        if let Some(c) = &self.condition
            && !c.eval_predicate(&out, ctx)?
        {
            self.output_drop.drop(out);
            return Ok(false);
        }
        emit(out);
        Ok(true)
    }

    /// `row`'s values, then `element`'s, then the ordinal of element `index` when asked for.
    fn element_row(&self, row: &Row, element: Element<'_>, index: usize) -> Row {
        let element_start = self.input_width;
        let ordinal_at = self
            .options
            .with_ordinality
            .then(|| element_start + self.elements.width());
        row_in_place_with(
            self.output_width,
            (),
            |_, col, slot| {
                let value = if col < element_start {
                    match row.get(col) {
                        Some(v) if self.carried.get(col).copied().unwrap_or(true) => v.clone(),
                        _ => Value::Null,
                    }
                } else if Some(col) == ordinal_at {
                    ordinal(index)
                } else {
                    element.get(col - element_start).cloned().unwrap_or(Value::Null)
                };
                slot.write(value);
            },
            |_| {},
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{CmpOp, ScalarFunc};
    use crate::types::DataType;

    fn column(index: usize, kind: TypeKind) -> BoundExpr {
        BoundExpr::Column {
            index,
            ty: DataType::new(kind),
        }
    }

    fn string() -> TypeKind {
        TypeKind::Varchar(crate::types::MAX_LENGTH)
    }

    fn ints(values: &[i64]) -> Value {
        Value::Array(values.iter().map(|v| Value::Int(*v)).collect())
    }

    fn run(f: &UnnestFn, row: Row) -> Vec<Row> {
        let mut out = Vec::new();
        f.apply(row, &EvalContext::default(), &mut |r| out.push(r))
            .expect("evaluates");
        out
    }

    fn array_fn(options: UnnestOptions, condition: Option<&BoundExpr>, width: usize) -> UnnestFn {
        let array = TypeKind::Array(Box::new(DataType::new(TypeKind::BigInt)));
        let mut types = vec![TypeKind::BigInt; width];
        types[1] = array.clone();
        UnnestFn::new(
            &column(1, array),
            UnnestElements::Value,
            options,
            condition,
            None,
            types[..2].iter(),
            types.iter(),
        )
    }

    const INNER: UnnestOptions = UnnestOptions {
        with_ordinality: false,
        outer: false,
    };

    #[test]
    fn each_element_follows_the_row_it_came_from() {
        let f = array_fn(INNER, None, 3);
        let out = run(&f, vec![Value::Int(7), ints(&[1, 2])]);
        assert_eq!(
            out,
            vec![
                vec![Value::Int(7), ints(&[1, 2]), Value::Int(1)],
                vec![Value::Int(7), ints(&[1, 2]), Value::Int(2)],
            ]
        );
        assert!(run(&f, vec![Value::Int(7), Value::Null]).is_empty());
        assert!(run(&f, vec![Value::Int(7), ints(&[])]).is_empty());
    }

    #[test]
    fn a_left_join_pads_rows_without_elements() {
        let outer = UnnestOptions {
            with_ordinality: true,
            outer: true,
        };
        let f = array_fn(outer, None, 4);
        for empty in [Value::Null, ints(&[])] {
            let out = run(&f, vec![Value::Int(7), empty.clone()]);
            assert_eq!(out, vec![vec![Value::Int(7), empty, Value::Null, Value::Null]]);
        }
        let out = run(&f, vec![Value::Int(7), ints(&[5, 6])]);
        assert_eq!(
            out[1],
            vec![Value::Int(7), ints(&[5, 6]), Value::Int(6), Value::Int(2)]
        );
    }

    #[test]
    fn the_condition_picks_elements_and_a_left_join_pads_when_none_is_picked() {
        // ON x > 1, x being the element column (2).
        let gt = BoundExpr::Call {
            func: ScalarFunc::Compare(CmpOp::Gt),
            args: vec![
                column(2, TypeKind::BigInt),
                BoundExpr::Literal {
                    value: Value::Int(1),
                    ty: DataType::new(TypeKind::BigInt),
                },
            ],
            ty: DataType::new(TypeKind::Boolean),
        };
        let f = array_fn(INNER, Some(&gt), 3);
        assert_eq!(run(&f, vec![Value::Int(7), ints(&[1, 2, 3])]).len(), 2);
        let outer = UnnestOptions {
            with_ordinality: false,
            outer: true,
        };
        let f = array_fn(outer, Some(&gt), 3);
        assert_eq!(
            run(&f, vec![Value::Int(7), ints(&[0, 1])]),
            vec![vec![Value::Int(7), ints(&[0, 1]), Value::Null]]
        );
        // The last element's row (the input row, extended) fails, an earlier one passed.
        assert_eq!(
            run(&f, vec![Value::Int(7), ints(&[2, 0])]),
            vec![vec![Value::Int(7), ints(&[2, 0]), Value::Int(2)]]
        );
    }

    #[test]
    fn rows_become_their_fields_and_null_rows_vanish() {
        let rows_type = TypeKind::Array(Box::new(DataType::new(TypeKind::Row(vec![]))));
        let types = [rows_type.clone(), TypeKind::BigInt, string()];
        let f = UnnestFn::new(
            &column(0, rows_type),
            UnnestElements::RowFields(2),
            INNER,
            None,
            None,
            types[..1].iter(),
            types.iter(),
        );
        let rows = Value::Array(vec![
            Value::Row(vec![Value::Int(1), Value::String("a".into())]),
            Value::Null,
        ]);
        let out = run(&f, vec![rows.clone()]);
        assert_eq!(out, vec![vec![rows, Value::Int(1), Value::String("a".into())]]);
    }

    #[test]
    fn map_entries_become_keys_and_values_in_the_maps_order() {
        let map_type = TypeKind::Map(
            Box::new(DataType::new(string())),
            Box::new(DataType::new(TypeKind::BigInt)),
        );
        let types = [map_type.clone(), string(), TypeKind::BigInt];
        let f = UnnestFn::new(
            &column(0, map_type),
            UnnestElements::MapEntries,
            INNER,
            None,
            None,
            types[..1].iter(),
            types.iter(),
        );
        let map = Value::Map(vec![
            (Value::String("b".into()), Value::Int(2)),
            (Value::String("a".into()), Value::Null),
        ]);
        let out = run(&f, vec![map.clone()]);
        assert_eq!(
            out,
            vec![
                vec![map.clone(), Value::String("b".into()), Value::Int(2)],
                vec![map, Value::String("a".into()), Value::Null],
            ]
        );
    }

    #[test]
    fn columns_nothing_reads_are_null_in_all_but_the_last_row() {
        let array = TypeKind::Array(Box::new(DataType::new(TypeKind::BigInt)));
        let types = [TypeKind::BigInt, array.clone(), TypeKind::BigInt];
        let f = UnnestFn::new(
            &column(1, array),
            UnnestElements::Value,
            INNER,
            None,
            Some(&[true, false]),
            types[..2].iter(),
            types.iter(),
        );
        let out = run(&f, vec![Value::Int(7), ints(&[1, 2])]);
        assert_eq!(
            out,
            vec![
                vec![Value::Int(7), Value::Null, Value::Int(1)],
                vec![Value::Int(7), ints(&[1, 2]), Value::Int(2)],
            ]
        );
    }
}
