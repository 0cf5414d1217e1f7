//! `UNNEST` on rows: each input row once per element of the collection it holds, the input's
//! values followed by the element's ([`crate::plan::LogicalPlan::Unnest`]). A flat map, so it
//! runs in the input's operator chain and keeps each record's timestamp.
//!
//! Output rows are built in place ([`row_in_place_with`]), each value cloned straight into its
//! slot: the collection is read where it lies in the input row, not copied out first.

use crate::expr::{BoundExpr, CompiledExpr, EvalContext, EvalError};
use crate::plan::{UnnestElements, UnnestOptions};
use crate::row_memory::{RowDrop, row_in_place_with};
use crate::types::TypeKind;
use crate::value::{Row, Value};

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
    /// None: a `LEFT JOIN`'s padding, every added column `NULL`.
    Missing,
}

impl<'a> Element<'a> {
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
    input_width: usize,
    output_width: usize,
    /// How a row the condition rejects is freed.
    output_drop: RowDrop,
}

impl UnnestFn {
    /// Unnests `collection` (over rows of `input_width` columns) into rows of `output_types`.
    pub(super) fn new<'t>(
        collection: &BoundExpr,
        elements: UnnestElements,
        options: UnnestOptions,
        condition: Option<&BoundExpr>,
        input_width: usize,
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
            input_width,
            output_width: output_types.len(),
            output_drop: RowDrop::of(output_types),
        }
    }

    /// Whether running it evaluates expressions (and so needs an [`EvalContext`]).
    pub(super) fn evaluates(&self) -> bool {
        self.condition.is_some() || matches!(self.collection, Collection::Computed(_))
    }

    /// Emits the rows of `row`'s elements (for a `LEFT JOIN`, one padded with `NULL`s when no
    /// element gives a row).
    pub(super) fn apply(
        &self,
        row: &Row,
        ctx: &EvalContext,
        emit: &mut impl FnMut(Row),
    ) -> Result<(), EvalError> {
        let computed;
        let collection = match &self.collection {
            Collection::Column(i) => row.get(*i).unwrap_or(&Value::Null),
            Collection::Computed(e) => {
                computed = e.eval(row, ctx)?;
                &computed
            }
        };
        let mut emitted = false;
        match (collection, self.elements) {
            (Value::Array(items), UnnestElements::Value) => {
                for (i, item) in items.iter().enumerate() {
                    let out = self.element_row(row, Element::Values(std::slice::from_ref(item)), i);
                    emitted |= self.keep(out, ctx, emit)?;
                }
            }
            (Value::Array(items), UnnestElements::RowFields(_)) => {
                for (i, item) in items.iter().enumerate() {
                    // A NULL row gives no row (Flink's), but still counts for the ordinal.
                    if let Value::Row(fields) = item {
                        let out = self.element_row(row, Element::Values(fields), i);
                        emitted |= self.keep(out, ctx, emit)?;
                    }
                }
            }
            (Value::Map(entries), UnnestElements::MapEntries) => {
                for (i, (key, value)) in entries.iter().enumerate() {
                    let out = self.element_row(row, Element::Entry(key, value), i);
                    emitted |= self.keep(out, ctx, emit)?;
                }
            }
            // NULL, or a value of another shape than the plan's (which the binder rules out).
            _ => {}
        }
        if !emitted && self.options.outer {
            emit(self.element_row(row, Element::Missing, 0));
        }
        Ok(())
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
                    row.get(col).cloned().unwrap_or(Value::Null)
                } else if Some(col) == ordinal_at {
                    if matches!(element, Element::Missing) {
                        Value::Null
                    } else {
                        // An INT: no collection has 2^31 elements.
                        Value::Int(index as i64 + 1)
                    }
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

    fn ints(values: &[i64]) -> Value {
        Value::Array(values.iter().map(|v| Value::Int(*v)).collect())
    }

    fn run(f: &UnnestFn, row: Row) -> Vec<Row> {
        let mut out = Vec::new();
        f.apply(&row, &EvalContext::default(), &mut |r| out.push(r))
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
            2,
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
    }

    #[test]
    fn rows_become_their_fields_and_null_rows_vanish() {
        let types = vec![TypeKind::BigInt; 3];
        let f = UnnestFn::new(
            &column(0, TypeKind::Array(Box::new(DataType::new(TypeKind::Row(vec![]))))),
            UnnestElements::RowFields(2),
            INNER,
            None,
            1,
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
        let types = vec![TypeKind::BigInt; 3];
        let map_type = TypeKind::Map(
            Box::new(DataType::new(TypeKind::Varchar(crate::types::MAX_LENGTH))),
            Box::new(DataType::new(TypeKind::BigInt)),
        );
        let f = UnnestFn::new(
            &column(0, map_type),
            UnnestElements::MapEntries,
            INNER,
            None,
            1,
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
}
