//! A row's allocation without per-value overhead: [`row_in_place`] writes a new row's values
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
//! These are the crate's only `unsafe` code: each sets a row's length, once every slot below
//! it is written, or to zero when no value owns memory.

#![allow(unsafe_code)]

use crate::value::{Row, Value};

/// The row `[value(0), .., value(width - 1)]`, each value written in place (see the module
/// docs). A panic in `value` leaks the values written so far; the row is never seen.
#[inline]
pub(crate) fn row_in_place(width: usize, mut value: impl FnMut(usize) -> Value) -> Row {
    let mut row: Row = Vec::with_capacity(width);
    let slots = row.spare_capacity_mut();
    // `with_capacity(width)` gives at least `width` slots; `take` keeps the count exact.
    let mut written = 0;
    for (i, slot) in slots.iter_mut().enumerate().take(width) {
        slot.write(value(i));
        written += 1;
    }
    // SAFETY: the loop wrote the first `written` slots of the row's capacity (`written` is
    // `width`: the capacity is at least that), and a value written is initialised.
    unsafe { row.set_len(written) };
    row
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
