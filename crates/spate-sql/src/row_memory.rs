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
//! Freed rows of a few values keep their allocation on the thread that freed them
//! ([`SpareRows`]) for the next row of that width: a window aggregate frees each input row and
//! allocates an output row, a source allocates what the operator after it frees. mimalloc's
//! fast path is short, but every few dozen blocks it fell to its generic path to extend a fresh
//! page's free list (85 000 calls of about 600 instructions in 2 M rows), and a free cost about
//! 20 instructions more; a spare block is a pop and a push.
//!
//! These are the crate's only `unsafe` code: each sets a batch's length once every slot below
//! it is written, puts a row together from an allocation of exactly its width whose every slot
//! it wrote, or sets a row's length to zero when no value owns memory.

#![allow(unsafe_code)]

use std::alloc::Layout;
use std::cell::UnsafeCell;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::ptr::NonNull;

use spate_engine::{Record, Timestamp};

use crate::types::TypeKind;
use crate::value::{Row, Value};

/// A row of `width` values, each written by `value(state, column, slot)` into its slot (built
/// in the slot, a value is not returned through the stack and copied in: out of line, that
/// copy stalled as the module docs tell). A panic in `value` or `finish` leaks the row's
/// allocation and the values written so far; the row is never seen. (A guard that dropped them
/// cost 15 instructions a row of the SQL tumble-count, 2.4 % of its work, measured with
/// callgrind in session 33; such a panic is a bug that fails the task, and the leak is bounded
/// by one row per failure.) `finish` gets
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
    let ptr = match SpareRows::take(width) {
        Some(block) => block.as_ptr().cast::<MaybeUninit<Value>>(),
        None => {
            // SAFETY: the layout's size is not zero.
            let ptr = unsafe { std::alloc::alloc(layout) }.cast::<MaybeUninit<Value>>();
            if ptr.is_null() {
                std::alloc::handle_alloc_error(layout);
            }
            ptr
        }
    };
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
    // which is `Vec<Value>`'s for capacity `width` (a spare block is one of a row of capacity
    // `width`), and the loop wrote all `width` slots.
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
    #[inline(always)]
    pub(crate) fn drop(self, mut row: Row) {
        match self {
            RowDrop::Plain => {
                // The binder gives every column a type and every value matches its column's
                // type; a value that owned memory here would leak (never unsound).
                debug_assert!(row.iter().all(Value::owns_nothing), "a plain row owns memory");
                // SAFETY: zero is at most the capacity, and the values given up own no memory.
                unsafe { row.set_len(0) };
                SpareRows::keep(row);
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
        SpareRows::keep(row);
    }
}

/// Rows of up to this many values keep their allocation when freed ([`SpareRows`]).
const SPARE_WIDTHS: usize = 8;
/// Spare blocks kept per width and thread: a source batch's worth (the engine's default
/// batch size), so a window aggregate that frees a batch of input rows makes the next
/// batches of output rows without the allocator. At most 4096 × (32 + 64 + … + 256) bytes,
/// about 4.5 MiB, per thread, and only for widths the thread has freed.
const SPARE_DEPTH: usize = 4096;

/// The allocations of freed rows of this thread, by width (capacity): blocks with the layout
/// of `Vec<Value>` with capacity `width`, holding no values. Given back to the allocator when
/// the thread ends.
#[derive(Debug)]
struct SpareRows {
    /// `blocks[w - 1]`: blocks of width `w`.
    blocks: [Vec<NonNull<Value>>; SPARE_WIDTHS],
}

thread_local! {
    static SPARE_ROWS: UnsafeCell<SpareRows> = const {
        UnsafeCell::new(SpareRows { blocks: [const { Vec::new() }; SPARE_WIDTHS] })
    };
}

impl SpareRows {
    /// A spare block for a row of `width` values, if this thread has one.
    #[inline(always)]
    fn take(width: usize) -> Option<NonNull<Value>> {
        if width == 0 || width > SPARE_WIDTHS {
            return None;
        }
        SPARE_ROWS
            .try_with(|spare| {
                // SAFETY: the cell is this thread's, and no reference into it outlives this
                // closure, which calls nothing that reaches it again.
                let spare = unsafe { &mut *spare.get() };
                spare.blocks.get_mut(width - 1).and_then(Vec::pop)
            })
            .ok()
            .flatten()
    }

    /// Keeps `row`'s allocation as a spare block if it is of a kept width and there is room,
    /// else frees it. `row` must hold no values.
    #[inline(always)]
    fn keep(row: Row) {
        debug_assert!(row.is_empty(), "a spare row holds values");
        let width = row.capacity();
        if width == 0 || width > SPARE_WIDTHS {
            return;
        }
        let mut row = ManuallyDrop::new(row);
        // A vector with capacity has a real allocation: its pointer is never null.
        let Some(block) = NonNull::new(row.as_mut_ptr()) else {
            return;
        };
        let kept = SPARE_ROWS
            .try_with(|spare| {
                // SAFETY: as in `take`; a push below capacity allocates nothing, and the first
                // push's reservation goes to the global allocator, which never comes back here.
                let spare = unsafe { &mut *spare.get() };
                match spare.blocks.get_mut(width - 1) {
                    Some(blocks) if blocks.len() < blocks.capacity() => {
                        blocks.push(block);
                        true
                    }
                    Some(blocks) if blocks.capacity() == 0 => {
                        Self::first_block(blocks, block);
                        true
                    }
                    _ => false,
                }
            })
            .unwrap_or(false);
        if !kept {
            Self::free(ManuallyDrop::into_inner(row));
        }
    }

    /// Makes room for a width's spare blocks, and keeps `block` there.
    #[cold]
    #[inline(never)]
    fn first_block(blocks: &mut Vec<NonNull<Value>>, block: NonNull<Value>) {
        blocks.reserve_exact(SPARE_DEPTH);
        blocks.push(block);
    }

    /// Frees a row of no values that is not kept.
    #[cold]
    #[inline(never)]
    fn free(row: Row) {
        drop(row);
    }
}

impl Drop for SpareRows {
    fn drop(&mut self) {
        for (i, blocks) in self.blocks.iter_mut().enumerate() {
            for block in blocks.drain(..) {
                // SAFETY: each block is the allocation of a row of capacity `i + 1` holding no
                // values, owned by nothing else; made back into that row, it is freed.
                drop(unsafe { Row::from_raw_parts(block.as_ptr(), 0, i + 1) });
            }
        }
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
    fn a_freed_rows_block_makes_the_next_row_of_its_width() {
        let row = row_in_place(3, |i| Value::Int(i as i64));
        let block = row.as_ptr();
        RowDrop::Plain.drop(row);
        // Another width does not take it.
        let other = row_in_place(2, |_| Value::Null);
        assert_ne!(other.as_ptr(), block);
        let again = row_in_place(3, |i| Value::Timestamp(10 * i as i64));
        assert_eq!(again.as_ptr(), block);
        assert_eq!(
            again,
            vec![Value::Timestamp(0), Value::Timestamp(10), Value::Timestamp(20)]
        );
        // A checked row of plain values is kept as well; one owning memory is freed whole.
        drop_row(again);
        drop_row(vec![Value::String("owned".into()), Value::Int(1), Value::Int(2)]);
        let last = row_in_place(3, |_| Value::Int(5));
        assert_eq!(last.as_ptr(), block);
    }

    #[test]
    fn spare_blocks_are_freed_with_their_thread() {
        // Many more rows than are kept, freed on a thread that then ends: the blocks past the
        // limit go back at once, the kept ones when the thread's spare rows are dropped.
        std::thread::spawn(|| {
            let rows: Vec<Row> = (0..SPARE_DEPTH + 10)
                .map(|i| row_in_place(SPARE_WIDTHS, |_| Value::Int(i as i64)))
                .collect();
            rows.into_iter().for_each(|r| RowDrop::Plain.drop(r));
            let wide = row_in_place(SPARE_WIDTHS + 1, |_| Value::Null);
            RowDrop::Plain.drop(wide);
        })
        .join()
        .expect("the thread ends cleanly");
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

    #[test]
    fn a_panic_in_finish_leaves_no_row() {
        let result = std::panic::catch_unwind(|| {
            row_in_place_with(
                3,
                (),
                |_, _, slot| {
                    slot.write(Value::String("x".into()));
                },
                |()| panic!("boom"),
            )
        });
        assert!(result.is_err());
    }
}
