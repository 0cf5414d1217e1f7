//! The order in which Flink lists a hopping or cumulating window's rows to an order-sensitive
//! aggregate (`LISTAGG`).
//!
//! Flink aggregates `HOP` and `CUMULATE` windows by slices (`slide`, or the gcd of slide and
//! size, and `step` long) and merges a window's slices when it fires: a hopping window from its
//! last slice back to its first, a cumulating one from its first slice on. Within a slice rows
//! stay in arrival order. So for rows 1, 2, 3 at 00:00:01, 06 and 07, a 10 s HOP every 5 s
//! lists `2,3,1` in the window 00:00–00:10 (checked on Flink 2.3; `tests/flink/listagg_slices`).
//! A legacy group window (`GROUP BY HOP(..)`) lists its slices from the first on, like a
//! cumulating window: `1,2,3` there.
//! Spate adds each row to each of its windows, so `LISTAGG` keeps its rows per slice and joins
//! the slices in Flink's order for the result.

use crate::plan::WindowSpec;
use crate::value::{Row, Value};
use crate::zone::SessionZone;

/// Which slice of its windows a row falls in, as a key that sorts the slices in Flink's order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SliceOrder {
    /// The row's event-time column (microseconds).
    time_col: usize,
    slice_ms: i64,
    offset_ms: i64,
    /// Windows over a `TIMESTAMP_LTZ` attribute are sliced in the session zone's local time.
    zone: Option<SessionZone>,
    /// A hopping window lists its last slice first.
    last_first: bool,
}

impl SliceOrder {
    /// The slicing of an event-time window aggregate (`group_window`: a legacy `GROUP BY
    /// HOP(..)`), `None` where rows stay in arrival order (a tumbling window is one slice;
    /// sessions merge in arrival order).
    pub(crate) fn of(
        window: WindowSpec,
        time_col: usize,
        event_time: bool,
        zone: Option<SessionZone>,
        group_window: bool,
    ) -> Option<Self> {
        if !event_time {
            return None;
        }
        let (slice_ms, offset, last_first) = match window {
            WindowSpec::Hop { slide, size, offset } => (gcd(slide, size), offset, !group_window),
            WindowSpec::Cumulate { step, offset, .. } => (step, offset, false),
            WindowSpec::Tumble { .. } | WindowSpec::Session { .. } => return None,
        };
        (slice_ms > 0).then_some(Self {
            time_col,
            slice_ms,
            offset_ms: offset.rem_euclid(slice_ms),
            zone,
            last_first,
        })
    }

    /// The sort key of `row`'s slice (ascending keys are Flink's order).
    pub(crate) fn key(&self, row: &Row) -> i64 {
        let micros = match row.get(self.time_col) {
            Some(Value::Timestamp(us)) => *us,
            _ => 0,
        };
        let micros = self.zone.map_or(micros, |z| z.to_local(micros));
        let slice = (micros.div_euclid(1000) - self.offset_ms).div_euclid(self.slice_ms);
        if self.last_first { -slice } else { slice }
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_at(ms: i64) -> Row {
        vec![Value::Int(0), Value::Timestamp(ms * 1000)]
    }

    #[test]
    fn hopping_windows_list_later_slices_first_and_cumulating_ones_earlier() {
        let hop = SliceOrder::of(
            WindowSpec::Hop {
                slide: 5000,
                size: 10_000,
                offset: 0,
            },
            1,
            true,
            None,
            false,
        )
        .expect("a hop is sliced");
        assert!(hop.key(&row_at(6000)) < hop.key(&row_at(1000)));
        assert_eq!(hop.key(&row_at(6000)), hop.key(&row_at(9999)));
        let cumulate = SliceOrder::of(
            WindowSpec::Cumulate {
                step: 5000,
                size: 15_000,
                offset: 0,
            },
            1,
            true,
            None,
            false,
        )
        .expect("a cumulate is sliced");
        assert!(cumulate.key(&row_at(1000)) < cumulate.key(&row_at(6000)));
        // HOP slices are the gcd of slide and size.
        let uneven = SliceOrder::of(
            WindowSpec::Hop {
                slide: 4000,
                size: 10_000,
                offset: 0,
            },
            1,
            true,
            None,
            false,
        )
        .expect("sliced");
        assert_ne!(uneven.key(&row_at(1000)), uneven.key(&row_at(3000)));
        assert!(
            SliceOrder::of(
                WindowSpec::Tumble {
                    size: 5000,
                    offset: 0
                },
                1,
                true,
                None,
                false,
            )
            .is_none()
        );
        assert!(
            SliceOrder::of(
                WindowSpec::Hop {
                    slide: 5000,
                    size: 10_000,
                    offset: 0
                },
                1,
                false,
                None,
                false,
            )
            .is_none()
        );
    }
}
