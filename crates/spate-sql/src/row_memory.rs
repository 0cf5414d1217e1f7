//! A row's allocation without per-value overhead: [`row_in_place_with`] writes a new row's values
//! straight into it, [`drop_row`] frees a row of plain values without a call per value.
//!
//! A [`Value`] is 32 bytes. Made in a `match` and then pushed (or collected), it is assembled
//! on the stack in 8-byte stores and copied into the row in 16-byte loads, which the CPU cannot
//! forward from those stores: `perf annotate` put most of the window output's and the datagen
//! rows' time on that one stalled load. Written into the row's spare capacity, the value's
//! parts are stored where they belong.
//!
//! Dropping a `Vec<Value>` calls `Value`'s drop glue once per value, out of line; in a window
//! aggregate over 10 M rows those calls were 13 % of the samples, although the values were
//! all integers and timestamps with nothing to free.
//!
//! The same stall struck the row itself (a `Vec` whose pointer and capacity were stored in
//! halves and copied on whole), and the output record around it: [`row_in_place_with`] puts
//! the row together from its parts after the last call, and [`push_row_in_place`] stores a
//! record's fields straight into the output batch. Together with values written into their
//! slots by the caller, these took a window aggregate's output in the tumble-count benchmark
//! from about a quarter of its samples to about a seventh (6.0 s to 4.95 s over 100 M rows).
//!
//! These are the crate's only `unsafe` code: each sets a batch's length once every slot below
//! it is written, puts a row together from an allocation of exactly its width whose every slot
//! it wrote, or sets a row's length to zero when no value owns memory.

#![allow(unsafe_code)]

use std::alloc::Layout;
use std::mem::MaybeUninit;

use spate_engine::{Record, Timestamp};

use crate::types::TypeKind;
use crate::value::{Row, Value};

/// A row of `width` values, each written by `value(state, column, slot)` into its slot (built
/// in the slot, a value is not returned through the stack and copied in: out of line, that
/// copy stalled as the module docs tell). A panic in `value` leaks the row's allocation and the
/// values written so far; the row is never seen. `finish` gets
/// `state` once every value is written and before the row is put together: what is left of
/// `state` is dropped there, so no call sits between the row's making and its return (a row
/// live across a call was spilled whole and copied onward in the stalled 16-byte load the
/// module docs name).
#[inline(always)]
pub(crate) fn row_in_place_with<S>(
    width: usize,
    mut state: S,
    mut value: impl FnMut(&mut S, usize, &mut MaybeUninit<Value>),
    finish: impl FnOnce(S),
) -> Row {
    // Allocated and filled through a raw pointer, not through `Vec::with_capacity` and its
    // spare capacity: the vector's checks and the slot iterator were about 70 instructions a
    // row of the window output (callgrind), more than writing its values.
    let layout = match Layout::array::<Value>(width) {
        Ok(layout) if layout.size() > 0 => layout,
        // No row is that wide; let `Vec` report it as it would.
        Err(_) => return Row::with_capacity(width),
        Ok(_) => {
            finish(state);
            return Row::new();
        }
    };
    // SAFETY: the layout's size is not zero.
    let ptr = unsafe { std::alloc::alloc(layout) }.cast::<MaybeUninit<Value>>();
    if ptr.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    for i in 0..width {
        // SAFETY: `i < width`: the slot lies in the allocation of `width` values, and no other
        // reference to it exists.
        value(&mut state, i, unsafe { &mut *ptr.add(i) });
    }
    finish(state);
    // The row is put together from its parts after the last call: a `Vec` made earlier was
    // copied onward as a 16-byte load of its pointer and capacity, stored in 8-byte halves
    // just before (the stall of the module docs, moved from the values to the row itself).
    // SAFETY: `ptr` was allocated by the global allocator with the layout of `width` values,
    // which is `Vec<Value>`'s for capacity `width`, and the loop wrote all `width` slots.
    unsafe { Row::from_raw_parts(ptr.cast::<Value>(), width, width) }
}

/// Appends the record `(timestamp, [value(state, 0), ..])` to `out`, made as
/// [`row_in_place_with`] makes a row and stored straight into `out`'s spare room. Made first
/// and pushed after, the row was spilled whole around `push`'s call to grow the vector, and
/// copied into it in 16-byte loads of the 8-byte stores just made: the stall of the module
/// docs, once more (about half the samples of a window aggregate's output).
#[inline(always)]
pub(crate) fn push_row_in_place<S>(
    out: &mut Vec<Record<Row>>,
    timestamp: Timestamp,
    width: usize,
    state: S,
    value: impl FnMut(&mut S, usize, &mut MaybeUninit<Value>),
    finish: impl FnOnce(S),
) {
    out.reserve(1);
    let row = row_in_place_with(width, state, value, finish);
    let len = out.len();
    match out.spare_capacity_mut().first_mut() {
        Some(slot) => {
            let slot = slot.as_mut_ptr();
            // SAFETY: `slot` points at the first spare slot of `out`, valid for writes; its
            // fields are written one by one (no record is assembled on the stack and copied),
            // and then the length covers the slot, now initialised.
            unsafe {
                std::ptr::addr_of_mut!((*slot).timestamp).write(timestamp);
                std::ptr::addr_of_mut!((*slot).value).write(row);
                out.set_len(len + 1);
            }
        }
        // `reserve(1)` leaves room; were it not so, the safe push.
        None => out.push(Record {
            timestamp,
            value: row,
        }),
    }
}

/// How the rows of one stream are freed, chosen at plan time from the stream's column types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowDrop {
    /// Every column's type holds plain values ([`TypeKind::holds_plain_values`]): the row is
    /// freed without a look at its values. Asking each value whether it owns memory cost about
    /// 9 instructions a value (the enum's tag sits in a niche), twice per row of a window
    /// aggregate (its input and its output).
    Plain,
    /// Some column may own memory: [`drop_row`].
    Checked,
}

impl RowDrop {
    /// The way to free rows whose columns have `types`.
    pub(crate) fn of<'a>(types: impl IntoIterator<Item = &'a TypeKind>) -> Self {
        if types.into_iter().all(TypeKind::holds_plain_values) {
            RowDrop::Plain
        } else {
            RowDrop::Checked
        }
    }

    /// Frees `row`.
    #[inline]
    pub(crate) fn drop(self, mut row: Row) {
        match self {
            RowDrop::Plain => {
                // The binder gives every column a type and every value matches its column's
                // type; a value that owned memory here would leak (never unsound).
                debug_assert!(row.iter().all(Value::owns_nothing), "a plain row owns memory");
                // SAFETY: zero is at most the capacity, and the values given up own no memory.
                unsafe { row.set_len(0) };
            }
            RowDrop::Checked => drop_row(row),
        }
    }
}

/// Drops `row`, with no call per value when none owns memory (see the module docs).
#[inline]
pub(crate) fn drop_row(mut row: Row) {
    if row.iter().all(Value::owns_nothing) {
        // SAFETY: zero is at most the capacity, and the values given up own no memory, so
        // forgetting them leaks nothing.
        unsafe { row.set_len(0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_in_place(width: usize, mut value: impl FnMut(usize) -> Value) -> Row {
        row_in_place_with(
            width,
            (),
            |(), i, slot| {
                slot.write(value(i));
            },
            |()| (),
        )
    }

    #[test]
    fn every_value_lands_in_order() {
        let row = row_in_place(4, |i| match i {
            0 => Value::Int(7),
            1 => Value::String("s".into()),
            2 => Value::Null,
            _ => Value::Decimal(-5),
        });
        assert_eq!(
            row,
            vec![
                Value::Int(7),
                Value::String("s".into()),
                Value::Null,
                Value::Decimal(-5)
            ]
        );
        assert!(row_in_place(0, |_| Value::Int(1)).is_empty());
    }

    #[test]
    fn rows_with_and_without_owned_values_drop() {
        drop_row(vec![
            Value::Int(1),
            Value::Timestamp(2),
            Value::Null,
            Value::Decimal(3),
        ]);
        drop_row(vec![Value::Int(1), Value::String("owned".into())]);
        drop_row(vec![Value::Array(vec![Value::Bytes(vec![1, 2])])]);
        drop_row(Vec::new());
    }

    #[test]
    fn rows_are_plain_only_when_every_column_type_is() {
        use crate::types::DataType;
        let plain = [
            TypeKind::BigInt,
            TypeKind::Decimal {
                precision: 38,
                scale: 2,
            },
            TypeKind::TimestampLtz(3),
            TypeKind::IntervalYearMonth,
        ];
        assert_eq!(RowDrop::of(&plain), RowDrop::Plain);
        assert_eq!(RowDrop::of(&[]), RowDrop::Plain);
        let element = DataType {
            kind: TypeKind::Int,
            nullable: true,
        };
        for owning in [
            TypeKind::Varchar(10),
            TypeKind::Varbinary(3),
            TypeKind::Array(Box::new(element.clone())),
            TypeKind::Map(Box::new(element.clone()), Box::new(element)),
        ] {
            let types = [TypeKind::BigInt, owning];
            assert_eq!(RowDrop::of(&types), RowDrop::Checked, "{types:?}");
        }
        RowDrop::Plain.drop(vec![Value::Int(1), Value::Null, Value::Decimal(5)]);
        RowDrop::Checked.drop(vec![Value::Int(1), Value::String("owned".into())]);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "a plain row owns memory")]
    fn a_plain_drop_of_a_row_owning_memory_is_caught_in_tests() {
        RowDrop::Plain.drop(vec![Value::String("leaked".into())]);
    }

    #[test]
    fn a_panic_midway_leaves_no_half_row() {
        let result = std::panic::catch_unwind(|| {
            row_in_place(3, |i| {
                assert!(i < 2, "boom");
                Value::String("x".into())
            })
        });
        assert!(result.is_err());
    }
}
