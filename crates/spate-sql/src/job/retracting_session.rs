//! A session window aggregate over an updating input (a `SESSION` window TVF, or a legacy
//! `GROUP BY SESSION(..)`, over a changelog source or an upsert table), as Flink 2.3 runs it
//! (`MergingWindowProcessFunction` over `MergingWindowSet`).
//!
//! Every change, an insertion or a retraction alike, opens the window `[t, t + gap)` of its
//! row's time and merges it with each of the key's sessions it touches (bounds included, as
//! Flink's `TimeWindow.intersects`); the row is then added to or taken out of the merged
//! session. So a session never shrinks or splits: deleting the row that bridged two sessions
//! leaves one. A session fires once, as `+I`, when the watermark passes its end, unless the
//! number of its rows (insertions minus retractions) is exactly zero: a retraction without its
//! insertion (a changelog read from its middle) makes a session of `-1` rows, which Flink
//! emits. A change whose merged session ends at or before the watermark is late and dropped.
//!
//! A session keeps its rows, not accumulators: sessions merge, and rows merge by
//! concatenation for every aggregate (`FIRST_VALUE` and `LISTAGG` too), where retracting
//! accumulators would each need a merge of their own. The results are computed
//! from the rows when the session fires. Over a `TIMESTAMP_LTZ` attribute sessions are cut in
//! the session zone's wall clock, as in Flink.

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
use spate_engine::state::{StateRegistry, ValueState};
use spate_engine::window::WallClock;
use spate_engine::{Timestamp, Window};

use crate::value::{Change, Row, Value};

use super::group_aggregate::{GroupFunction, RetractingAggregate};
use super::window_output::WindowOutput;

/// One session of one key, in local time when sessions are cut in a zone.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Session {
    start: Timestamp,
    end: Timestamp,
    /// The rows in arrival order, each added (`1`) or retracted without having been added
    /// (`-1`: a changelog read from its middle).
    rows: Vec<(Row, i64)>,
    /// How many of `rows` are such retractions (an addition looks for one to cancel only then).
    unmatched: usize,
    /// Rows added minus rows retracted.
    count: i64,
}

impl Session {
    /// Adds (`by` 1) or takes back (`by` -1) one `row`: a retraction cancels the earliest equal
    /// row added (as Flink's list state removes it), an addition a retraction of its row that
    /// came first. An addition is a push unless retractions wait: no scan per row.
    fn change(&mut self, row: Row, by: i64) {
        self.count += by;
        let cancels = (by < 0 || self.unmatched > 0)
            .then(|| self.rows.iter().position(|(r, n)| *n == -by && *r == row))
            .flatten();
        match cancels {
            Some(i) => {
                self.rows.remove(i);
                if by > 0 {
                    self.unmatched -= 1;
                }
            }
            None => {
                self.rows.push((row, by));
                if by < 0 {
                    self.unmatched += 1;
                }
            }
        }
    }

    /// Takes `other`'s rows in, after its own.
    fn absorb(&mut self, other: Session) {
        self.start = self.start.min(other.start);
        self.end = self.end.max(other.end);
        self.count += other.count;
        self.unmatched += other.unmatched;
        self.rows.extend(other.rows);
    }
}

/// The keyed function, keyed by the group's key values (the session's partition).
#[derive(Clone)]
pub(crate) struct RetractingSessionFn {
    f: RetractingAggregate,
    gap: i64,
    time_col: usize,
    output: WindowOutput,
    /// The wall clock sessions are cut in (`None`: the instants themselves).
    zone: Option<&'static dyn WallClock>,
    sessions: Option<ValueState<Vec<Session>>>,
}

impl RetractingSessionFn {
    /// Aggregates `f` over sessions of `gap` ms by column `time_col`, cut in `zone`'s wall
    /// clock when there is one, rows laid out as `output` says.
    pub(crate) fn new(
        f: RetractingAggregate,
        gap: i64,
        time_col: usize,
        output: WindowOutput,
        zone: Option<&'static dyn WallClock>,
    ) -> Self {
        Self {
            f,
            gap,
            time_col,
            output,
            zone,
            sessions: None,
        }
    }

    /// When a session ending (exclusive) at local time `end` fires: its last millisecond's
    /// later instant, so the rows of both passes through a repeated hour are in.
    fn due(&self, end: Timestamp) -> Timestamp {
        let last = end - 1;
        self.zone.map_or(last, |z| z.to_utc_later(last))
    }

    fn local(&self, instant: Timestamp) -> Timestamp {
        self.zone.map_or(instant, |z| z.to_local(instant))
    }

    fn instant(&self, local: Timestamp) -> Timestamp {
        self.zone.map_or(local, |z| z.to_utc(local))
    }
}

impl KeyedProcessFunction<Vec<Value>, Change, Row> for RetractingSessionFn {
    fn open(&mut self, states: &mut StateRegistry<'_, Vec<Value>>) {
        self.sessions = Some(states.value("retracting-session-aggregate"));
    }

    fn process_element(&mut self, change: Change, ctx: &mut KeyedContext<'_, Vec<Value>, Row>) {
        let Some(state) = self.sessions.clone() else {
            return;
        };
        // The source made every row's time a non-NULL timestamp (it fails the job otherwise).
        let Some(Value::Timestamp(micros)) = change.row.get(self.time_col) else {
            return;
        };
        let time = self.local(micros.div_euclid(1000));
        let (start, end) = (time, time.saturating_add(self.gap));
        let watermark = ctx.current_watermark();
        let Some(sessions) = state.get_or_insert_with(ctx, Vec::new) else {
            return;
        };
        let touches = |s: &Session| s.start <= end && s.end >= start;
        let merged_end = sessions
            .iter()
            .filter(|s| touches(s))
            .map(|s| s.end)
            .fold(end, Timestamp::max);
        if self.due(merged_end) <= watermark {
            // Late: the session it would join has fired (or it is alone and past).
            if sessions.is_empty() {
                state.clear(ctx);
            }
            return;
        }
        let mut session = Session {
            start,
            end,
            rows: Vec::new(),
            unmatched: 0,
            count: 0,
        };
        let mut i = 0;
        while i < sessions.len() {
            if touches(&sessions[i]) {
                session.absorb(sessions.swap_remove(i));
            } else {
                i += 1;
            }
        }
        let due = self.due(session.end);
        session.change(change.row, if change.kind.is_accumulate() { 1 } else { -1 });
        sessions.push(session);
        // A session that grew fires later; the timers of the sessions it took in find nothing
        // ending there and are ignored.
        ctx.register_event_time_timer(due);
    }

    fn on_timer(&mut self, time: Timestamp, domain: TimeDomain, ctx: &mut KeyedContext<'_, Vec<Value>, Row>) {
        if domain != TimeDomain::EventTime {
            return;
        }
        let Some(state) = self.sessions.clone() else {
            return;
        };
        let Some(sessions) = state.get_or_insert_with(ctx, Vec::new) else {
            return;
        };
        let fired = sessions
            .iter()
            .position(|s| self.due(s.end) == time)
            .map(|i| sessions.swap_remove(i));
        if sessions.is_empty() {
            state.clear(ctx);
        }
        let Some(session) = fired.filter(|s| s.count != 0) else {
            return;
        };
        let mut accs = self.f.create();
        for (row, _) in session.rows.iter().filter(|(_, n)| *n > 0) {
            self.f.accumulate(&mut accs, row);
        }
        for (row, _) in session.rows.iter().filter(|(_, n)| *n < 0) {
            self.f.retract(&mut accs, row);
        }
        let mut values = Vec::new();
        self.f.values_into(&accs, &mut values);
        let key = ctx.key().clone();
        let window = Window {
            start: self.instant(session.start),
            end: self.instant(session.end),
        };
        let row = self.output.row(
            |i| key.get(i).cloned().unwrap_or_default(),
            window,
            SmallVec::<[Value; 8]>::from_vec(values),
        );
        ctx.collect_with_timestamp(row, time);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> Session {
        Session {
            start: 0,
            end: 5,
            rows: Vec::new(),
            unmatched: 0,
            count: 0,
        }
    }

    fn row(v: i64) -> Row {
        vec![Value::Int(v)]
    }

    fn values(s: &Session) -> Vec<(i64, i64)> {
        s.rows
            .iter()
            .map(|(r, n)| match r.first() {
                Some(Value::Int(v)) => (*v, *n),
                _ => (i64::MIN, *n),
            })
            .collect()
    }

    #[test]
    fn a_retraction_cancels_the_earliest_equal_row() {
        let mut s = session();
        for v in [1, 2, 1] {
            s.change(row(v), 1);
        }
        s.change(row(1), -1);
        assert_eq!(values(&s), [(2, 1), (1, 1)]);
        assert_eq!(s.count, 2);
    }

    #[test]
    fn a_retraction_first_waits_for_its_row_and_counts_below_zero() {
        let mut s = session();
        s.change(row(4), -1);
        assert_eq!((values(&s), s.count, s.unmatched), (vec![(4, -1)], -1, 1));
        s.change(row(5), 1);
        s.change(row(4), 1);
        assert_eq!((values(&s), s.count, s.unmatched), (vec![(5, 1)], 1, 0));
    }

    #[test]
    fn merged_sessions_keep_both_rows_and_their_waiting_retractions() {
        let mut a = session();
        a.change(row(1), 1);
        let mut b = Session {
            start: 3,
            end: 9,
            ..session()
        };
        b.change(row(2), -1);
        a.absorb(b);
        assert_eq!((a.start, a.end, a.count, a.unmatched), (0, 9, 0, 1));
        a.change(row(2), 1);
        assert_eq!(values(&a), [(1, 1)]);
    }
}
