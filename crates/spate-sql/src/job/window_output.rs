//! The rows a window aggregate emits: `keys ++ window properties ++ aggregates`, or the columns
//! a projection right after it picks from those — built in one allocation per row, straight
//! from the engine's window result, so a `SELECT k, window_start, COUNT(*)` (and the casts
//! that conform it to its sink) costs no intermediate row.

use std::mem::MaybeUninit;

use smallvec::SmallVec;
use spate_engine::{Record, Timestamp, Window};

use crate::plan::WindowProperty;
use crate::row_memory::push_row_in_place;
use crate::value::{Row, Value, drop_value};

use super::int_aggregate::IntResult;
use crate::zone::SessionZone;

/// Where one output column of a window aggregate comes from.
#[derive(Debug, Clone, Copy)]
enum Source {
    Key(usize),
    Property(WindowProperty),
    Aggregate(usize),
}

/// The layout of a window aggregate's output rows.
#[derive(Debug, Clone)]
pub(crate) struct WindowOutput {
    columns: Vec<Source>,
    /// Whether every aggregate is used at most once, so its result can be moved instead of
    /// cloned.
    moves: bool,
    /// For windows cut in a session zone: `window_start` and `window_end` are its wall-clock
    /// times (`window_time` stays an instant).
    zone: Option<SessionZone>,
}

impl WindowOutput {
    /// The layout `keys ++ properties ++ aggregates`, or, with `select`, the columns of that
    /// layout it names, in its order (an index may repeat).
    pub(crate) fn new(
        n_keys: usize,
        properties: &[WindowProperty],
        n_aggs: usize,
        select: Option<&[usize]>,
    ) -> Self {
        let all: Vec<Source> = (0..n_keys)
            .map(Source::Key)
            .chain(properties.iter().map(|p| Source::Property(*p)))
            .chain((0..n_aggs).map(Source::Aggregate))
            .collect();
        let (columns, moves) = match select {
            None => (all, true),
            Some(select) => {
                let mut seen = vec![false; all.len()];
                let mut moves = true;
                let columns = select
                    .iter()
                    .filter_map(|&i| {
                        let slot = seen.get_mut(i)?;
                        moves &= !*slot;
                        *slot = true;
                        all.get(i).copied()
                    })
                    .collect();
                (columns, moves)
            }
        };
        Self {
            columns,
            moves,
            zone: None,
        }
    }

    /// Bounds shown as wall-clock times of `zone` (windows over a `TIMESTAMP_LTZ` attribute).
    pub(crate) fn in_zone(mut self, zone: Option<SessionZone>) -> Self {
        self.zone = zone;
        self
    }

    /// A window property's value in microseconds.
    pub(crate) fn property(&self, p: WindowProperty, window: Window) -> i64 {
        let (start, last) = (window.start * 1000, (window.end - 1) * 1000);
        match (p, self.zone) {
            (WindowProperty::Time, _) => last,
            (WindowProperty::Start, None) => start,
            (WindowProperty::End, None) => last + 1000,
            (WindowProperty::Start, Some(z)) => z.to_local(start),
            // The end's own instant may lie past a gap (02:00 → 03:00 PDT): the local time of
            // the window's last millisecond, plus one, is its local end.
            (WindowProperty::End, Some(z)) => z.to_local(last) + 1000,
        }
    }

    /// The row of one fired window: its key values (`key(i)` is key column `i`'s), the window,
    /// and the aggregates' results (moved out where no column repeats them; what is left of
    /// them is dropped before the row is done).
    pub(crate) fn row<A: Results>(&self, key: impl Fn(usize) -> Value, window: Window, aggregates: A) -> Row {
        let mut out = Vec::new();
        self.push_row(&mut out, 0, key, window, aggregates);
        out.pop().map(|r| r.value).unwrap_or_default()
    }

    /// Appends [`row`](Self::row)'s row to `out` at `timestamp`, each value written in place
    /// and the row stored straight into `out` ([`push_row_in_place`]).
    #[inline(always)]
    pub(crate) fn push_row<A: Results>(
        &self,
        out: &mut Vec<Record<Row>>,
        timestamp: Timestamp,
        key: impl Fn(usize) -> Value,
        window: Window,
        aggregates: A,
    ) {
        push_row_in_place(
            out,
            timestamp,
            self.columns.len(),
            aggregates,
            // Inlined into the loop over the columns: called, it cost about 40 instructions a
            // column (callgrind), more than the values it writes.
            #[inline(always)]
            |aggregates, c, slot| match self.columns[c] {
                Source::Key(i) => {
                    slot.write(key(i));
                }
                Source::Aggregate(i) => aggregates.write(i, self.moves, slot),
                Source::Property(p) => {
                    slot.write(Value::Timestamp(self.property(p, window)));
                }
            },
            A::drop_results,
        )
    }
}

/// A fired window's aggregate results, as [`WindowOutput::push_row`] takes them.
pub(crate) trait Results {
    /// Writes result `i` (`NULL` if there is none) into `slot`: moved out with `take`, else
    /// cloned.
    fn write(&mut self, i: usize, take: bool, slot: &mut MaybeUninit<Value>);
    /// Drops the results (those moved into the row are `NULL` by then).
    fn drop_results(self);
}

/// The one result of a single typed aggregate call, made into a value in its slot.
impl Results for IntResult {
    #[inline]
    fn write(&mut self, i: usize, _take: bool, slot: &mut MaybeUninit<Value>) {
        slot.write(if i == 0 { self.value() } else { Value::Null });
    }
    #[inline]
    fn drop_results(self) {}
}

/// The results of several calls.
impl<A: smallvec::Array<Item = Value>> Results for SmallVec<A> {
    #[inline]
    fn write(&mut self, i: usize, take: bool, slot: &mut MaybeUninit<Value>) {
        // One write per arm: a value chosen by a `match` and then written was merged on the
        // stack first, and copied in the stalled load.
        match self.get_mut(i) {
            Some(v) if take => slot.write(std::mem::take(v)),
            Some(v) => slot.write(v.clone()),
            None => slot.write(Value::Null),
        };
    }
    #[inline]
    fn drop_results(self) {
        self.into_iter().for_each(drop_value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window() -> Window {
        Window {
            start: 1000,
            end: 2000,
        }
    }

    #[test]
    fn full_layout_is_keys_then_properties_then_aggregates() {
        let out = WindowOutput::new(1, &[WindowProperty::Start, WindowProperty::Time], 1, None);
        let row = out.row(
            |_| Value::Int(7),
            window(),
            SmallVec::<[Value; 1]>::from_buf([Value::Int(3)]),
        );
        assert_eq!(
            row,
            vec![
                Value::Int(7),
                Value::Timestamp(1_000_000),
                Value::Timestamp(1_999_000),
                Value::Int(3)
            ]
        );
    }

    #[test]
    fn selection_reorders_drops_and_repeats_columns() {
        // keys (a, b), properties (start, end), aggregates (x, y).
        let out = WindowOutput::new(
            2,
            &[WindowProperty::Start, WindowProperty::End],
            2,
            Some(&[5, 0, 3, 5]),
        );
        let keys = [Value::String("a".into()), Value::String("b".into())];
        let aggs = SmallVec::from_buf([Value::Int(1), Value::String("y".into())]);
        let row = out.row(|i| keys[i].clone(), window(), aggs);
        assert_eq!(
            row,
            vec![
                Value::String("y".into()),
                Value::String("a".into()),
                Value::Timestamp(2_000_000),
                Value::String("y".into()),
            ]
        );
    }

    #[test]
    fn out_of_range_selection_is_skipped_not_a_panic() {
        let out = WindowOutput::new(1, &[], 1, Some(&[9, 1]));
        let row = out.row(
            |_| Value::Int(1),
            window(),
            SmallVec::<[Value; 1]>::from_buf([Value::Int(2)]),
        );
        assert_eq!(row, vec![Value::Int(2)]);
    }
}
