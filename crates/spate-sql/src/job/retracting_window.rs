//! A window aggregate over an updating input (a changelog source, an upsert table): Flink
//! accepts it for window TVFs, and emits insertions only.
//!
//! Each change goes into the windows of its row's time: `+I`/`+U` accumulate, `-U`/`-D`
//! retract, so an update that moves a row in time leaves its old window and joins the new one.
//! Per key the state is its open windows (a few: one per window a row can be in), each with
//! the accumulators that take rows back out (as a `GroupAggregate` over an updating input
//! keeps them) and the number of rows in, changed in place; when the
//! watermark passes a window's end its row is emitted once, unless no row is left in it. A
//! change for a window the watermark has passed is late and dropped, as Flink drops it; a
//! retraction for a window that holds no row of the key is dropped too.
//!
//! Only event-time windows over a `TIMESTAMP` attribute that are cut alike for every key
//! (`TUMBLE`, `HOP`, `CUMULATE`) take this path; the planner refuses the others.

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use spate_engine::keyed_process::{KeyedContext, KeyedProcessFunction, TimeDomain};
use spate_engine::state::{StateRegistry, ValueState};
use spate_engine::window::WindowAssigner;
use spate_engine::{Timestamp, Window};

use crate::value::{Change, Row, Value};

use super::group_aggregate::{GroupFunction, RetractingAggregate};
use super::window_output::WindowOutput;

/// One window's state for one key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct WindowGroup<A> {
    start: Timestamp,
    end: Timestamp,
    accs: A,
    /// Rows added minus rows retracted.
    rows: i64,
}

/// The keyed function, keyed by the group's key values.
#[derive(Clone)]
pub(crate) struct RetractingWindowFn {
    f: RetractingAggregate,
    assigner: WindowAssigner,
    time_col: usize,
    output: WindowOutput,
    windows: Option<ValueState<Vec<WindowGroup<<RetractingAggregate as GroupFunction>::Acc>>>>,
}

impl RetractingWindowFn {
    /// Aggregates `f` over the windows `assigner` cuts by column `time_col`, rows laid out as
    /// `output` says.
    pub(crate) fn new(
        f: RetractingAggregate,
        assigner: WindowAssigner,
        time_col: usize,
        output: WindowOutput,
    ) -> Self {
        Self {
            f,
            assigner,
            time_col,
            output,
            windows: None,
        }
    }
}

impl KeyedProcessFunction<Vec<Value>, Change, Row> for RetractingWindowFn {
    fn open(&mut self, states: &mut StateRegistry<'_, Vec<Value>>) {
        self.windows = Some(states.value("retracting-window-aggregate"));
    }

    fn process_element(&mut self, change: Change, ctx: &mut KeyedContext<'_, Vec<Value>, Row>) {
        let Some(state) = self.windows.clone() else {
            return;
        };
        // The source made every row's time a non-NULL timestamp (it fails the job otherwise).
        let Some(Value::Timestamp(micros)) = change.row.get(self.time_col) else {
            return;
        };
        let time = micros.div_euclid(1000);
        let add = change.kind.is_accumulate();
        let mut windows: SmallVec<[Window; 8]> = SmallVec::new();
        self.assigner.assign(time, &mut windows);
        let watermark = ctx.current_watermark();
        // Timers of the windows this change opens, set once the key's state is let go.
        let mut opened: SmallVec<[Timestamp; 8]> = SmallVec::new();
        let f = &self.f;
        let Some(groups) = state.get_or_insert_with(ctx, Vec::new) else {
            return;
        };
        for w in windows {
            // Flink: a window whose last millisecond the watermark reached has fired.
            if w.end - 1 <= watermark {
                continue;
            }
            let i = match groups.iter().position(|g| g.end == w.end) {
                Some(i) => i,
                None if !add => continue,
                None => {
                    opened.push(w.end - 1);
                    groups.push(WindowGroup {
                        start: w.start,
                        end: w.end,
                        accs: f.create(),
                        rows: 0,
                    });
                    groups.len() - 1
                }
            };
            let group = &mut groups[i];
            if add {
                f.accumulate(&mut group.accs, &change.row);
                group.rows += 1;
            } else {
                f.retract(&mut group.accs, &change.row);
                group.rows -= 1;
            }
            // A window left without rows is forgotten (its timer finds nothing).
            if group.rows <= 0 {
                groups.swap_remove(i);
            }
        }
        if groups.is_empty() {
            state.clear(ctx);
        }
        for timer in opened {
            ctx.register_event_time_timer(timer);
        }
    }

    fn on_timer(&mut self, time: Timestamp, domain: TimeDomain, ctx: &mut KeyedContext<'_, Vec<Value>, Row>) {
        if domain != TimeDomain::EventTime {
            return;
        }
        let Some(state) = self.windows.clone() else {
            return;
        };
        let end = time + 1;
        let Some(groups) = state.get_or_insert_with(ctx, Vec::new) else {
            return;
        };
        let group = groups
            .iter()
            .position(|g| g.end == end)
            .map(|i| groups.swap_remove(i));
        if groups.is_empty() {
            state.clear(ctx);
        }
        let Some(group) = group else {
            return;
        };
        let mut values = Vec::new();
        self.f.values_into(&group.accs, &mut values);
        let key = ctx.key().clone();
        let row = self.output.row(
            |i| key.get(i).cloned().unwrap_or_default(),
            Window {
                start: group.start,
                end,
            },
            SmallVec::<[Value; 8]>::from_vec(values),
        );
        ctx.collect_with_timestamp(row, time);
    }
}
