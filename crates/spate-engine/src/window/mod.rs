//! Windows on keyed streams: assigners, triggers, window functions and the window operator.

mod assigner;
mod dense;
mod function;
mod operator;
mod pre_aggregate;
mod session;
mod sliding_count;
mod trigger;

use std::any::Any;
use std::marker::PhantomData;
use std::time::Duration;

pub use assigner::{WallClock, WindowAssigner};
pub use function::{AggregateFunction, Count, ProcessWindowFunction, WindowEmitter, WindowResult};
pub use sliding_count::SlidingCountWindowedStream;
pub use trigger::{
    CountTrigger, DefaultTrigger, EventTimeTrigger, ProcessingTimeTrigger, PurgingTrigger, Trigger,
    TriggerContext, TriggerResult,
};

use crate::record::{Data, Key};
use crate::runtime::output::OutputTag;
use crate::stream::{DataStream, KeyedStream};
use dense::DenseWindowOperator;
use function::{AggregateIntoFn, AggregateWindowFn, ProcessWindowFn, ReduceAggregate, WindowFn};
use operator::{WindowOperator, WindowSpec};
use pre_aggregate::{MergePartials, Panes, Partial, PreAggregate};
use session::SessionWindowOperator;

/// A keyed stream cut into windows; finish it with `reduce`, `aggregate` or `process`.
pub struct WindowedStream<K, T, KS, Tr> {
    keyed: KeyedStream<K, T, KS>,
    assigner: WindowAssigner,
    trigger: Tr,
    allowed_lateness: Duration,
    late_tag: Option<u64>,
    pre_aggregate: bool,
}

impl<K, T, KS, Tr> std::fmt::Debug for WindowedStream<K, T, KS, Tr> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WindowedStream")
            .field("assigner", &self.assigner)
            .finish_non_exhaustive()
    }
}

impl<K, T, KS> KeyedStream<K, T, KS>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Clone + Send + 'static,
{
    /// Windows by `assigner`, with the trigger it implies (event time, processing time, or
    /// never for global windows).
    pub fn window(&self, assigner: WindowAssigner) -> WindowedStream<K, T, KS, DefaultTrigger> {
        let trigger = if assigner.is_global() {
            DefaultTrigger::Never
        } else if assigner.is_event_time() {
            DefaultTrigger::EventTime
        } else {
            DefaultTrigger::ProcessingTime
        };
        WindowedStream {
            keyed: self.clone(),
            assigner,
            trigger,
            allowed_lateness: Duration::ZERO,
            late_tag: None,
            pre_aggregate: false,
        }
    }

    /// Tumbling count windows: every `size` elements of a key form a window. Elements of an
    /// incomplete last window are discarded at end of input (as in Flink).
    pub fn count_window(&self, size: u64) -> WindowedStream<K, T, KS, CountTrigger> {
        self.window(WindowAssigner::global())
            .trigger(CountTrigger::purging(size))
    }
}

impl<K, T, KS, Tr> WindowedStream<K, T, KS, Tr>
where
    K: Key,
    T: Data,
    KS: Fn(&T) -> K + Clone + Send + 'static,
    Tr: Trigger<T>,
{
    /// Replaces the trigger.
    pub fn trigger<Tr2: Trigger<T>>(self, trigger: Tr2) -> WindowedStream<K, T, KS, Tr2> {
        WindowedStream {
            keyed: self.keyed,
            assigner: self.assigner,
            trigger,
            allowed_lateness: self.allowed_lateness,
            late_tag: self.late_tag,
            pre_aggregate: self.pre_aggregate,
        }
    }

    /// Keeps window state for `lateness` after the watermark passed the window end; late
    /// elements within it update (and re-fire) the window.
    pub fn allowed_lateness(mut self, lateness: Duration) -> Self {
        self.allowed_lateness = lateness;
        self
    }

    /// Sends elements that arrive after their windows were cleaned up to `tag`.
    pub fn side_output_late_data(mut self, tag: &OutputTag<T>) -> Self {
        self.late_tag = Some(tag.id);
        self
    }

    fn apply<WF>(self, name: &str, wf: WF) -> DataStream<WF::Out>
    where
        WF: WindowFn<K, T> + Clone,
    {
        let ks = self.keyed.key_selector.clone();
        let lateness = i64::try_from(self.allowed_lateness.as_millis()).unwrap_or(i64::MAX);
        let (assigner, trigger, late_tag) = (self.assigner, self.trigger, self.late_tag);
        let plain_event_time = assigner.is_event_time() && is_plain_event_time_trigger(&trigger);
        let dense = plain_event_time && !assigner.is_merging() && !assigner.is_global();
        let session_gap = assigner.session_gap().filter(|_| plain_event_time);
        self.keyed
            .stream
            .one_input(name, self.keyed.edge(0), move |ctx, down| {
                let (identity, max_parallelism) = (ctx.identity(), ctx.max_parallelism);
                if dense {
                    let op = DenseWindowOperator::new(
                        ks.clone(),
                        assigner,
                        lateness,
                        late_tag,
                        wf.clone(),
                        down,
                        identity,
                        max_parallelism,
                    );
                    return Box::new(ctx.restored(op, DenseWindowOperator::restore));
                }
                if let Some(gap) = session_gap {
                    let op = SessionWindowOperator::new(
                        ks.clone(),
                        gap,
                        assigner.session_zone(),
                        lateness,
                        late_tag,
                        wf.clone(),
                        down,
                        identity,
                        max_parallelism,
                    );
                    return Box::new(ctx.restored(op, SessionWindowOperator::restore));
                }
                let spec = WindowSpec {
                    assigner,
                    trigger: trigger.clone(),
                    allowed_lateness: lateness,
                    late_tag,
                };
                let op = WindowOperator::new(ks.clone(), spec, wf.clone(), down, identity, max_parallelism);
                Box::new(ctx.restored(op, WindowOperator::restore))
            })
    }

    /// Incrementally reduces each window.
    pub fn reduce<F>(self, f: F) -> DataStream<WindowResult<K, T>>
    where
        T: crate::record::StateData,
        F: Fn(T, T) -> T + Clone + Send + 'static,
    {
        self.apply(
            "window-reduce",
            AggregateWindowFn(ReduceAggregate { f, _t: PhantomData }),
        )
    }

    /// Aggregates before the keyed exchange too (local-global, or two-phase, aggregation as
    /// Flink SQL does it): each subtask of the input folds its records per key and window
    /// pane, and accumulators cross the exchange instead of records; the window operator
    /// merges them. The results are the same (the aggregate's `merge` must be exact). It pays
    /// where many records share a key and window per input subtask, at parallelism above 1.
    ///
    /// Applies to `reduce`, `aggregate` and `count` over event-time tumbling and sliding
    /// windows aligned to the epoch, with the default trigger and no side output for late
    /// data; other windows ignore it.
    pub fn pre_aggregate(mut self) -> Self {
        self.pre_aggregate = true;
        self
    }

    /// Incrementally aggregates each window.
    pub fn aggregate<A: AggregateFunction<T>>(self, aggregate: A) -> DataStream<WindowResult<K, A::Out>> {
        if self.pre_aggregate
            && self.late_tag.is_none()
            && is_plain_event_time_trigger(&self.trigger)
            && let Some((size, offset)) = self.assigner.panes()
        {
            return self.two_phase(Panes { size, offset }, aggregate, AggregateWindowFn);
        }
        self.apply("window-aggregate", AggregateWindowFn(aggregate))
    }

    /// Incrementally aggregates each window and makes each fired window's output record with
    /// `f(key, window, result)` (Flink's `aggregate(AggregateFunction, WindowFunction)`): the
    /// record is built as the window fires, with no [`WindowResult`] and no `map` after it.
    /// [`pre_aggregate`](Self::pre_aggregate) applies as it does to
    /// [`aggregate`](Self::aggregate).
    pub fn aggregate_with<A, O, F>(self, aggregate: A, mut f: F) -> DataStream<O>
    where
        A: AggregateFunction<T>,
        O: Data,
        F: FnMut(&K, &crate::record::Window, A::Out) -> O + Clone + Send + 'static,
    {
        self.aggregate_into(aggregate, move |key, window, result, out| {
            out.emit(f(key, window, result));
        })
    }

    /// [`aggregate_with`](Self::aggregate_with) whose `f(key, window, result, out)` emits the
    /// fired window's records into `out` itself (none, one or several, each at the window's
    /// max timestamp, like Flink's `Collector`): a record made inside `f` is stored straight
    /// into the output batch, with no copy of a returned value.
    pub fn aggregate_into<A, O, F>(self, aggregate: A, f: F) -> DataStream<O>
    where
        A: AggregateFunction<T>,
        O: Data,
        F: FnMut(&K, &crate::record::Window, A::Out, &mut WindowEmitter<'_, O>) + Clone + Send + 'static,
    {
        if self.pre_aggregate
            && self.late_tag.is_none()
            && is_plain_event_time_trigger(&self.trigger)
            && let Some((size, offset)) = self.assigner.panes()
        {
            return self.two_phase(Panes { size, offset }, aggregate, move |merge| AggregateIntoFn {
                aggregate: merge,
                f,
                _out: PhantomData,
            });
        }
        self.apply(
            "window-aggregate",
            AggregateIntoFn {
                aggregate,
                f,
                _out: PhantomData,
            },
        )
    }

    /// The local phase chained after the input, then the window operator over its partials,
    /// whose results `window_fn` makes into records.
    fn two_phase<A, WF>(
        self,
        panes: Panes,
        aggregate: A,
        window_fn: impl FnOnce(MergePartials<A, T>) -> WF,
    ) -> DataStream<WF::Out>
    where
        A: AggregateFunction<T>,
        WF: WindowFn<K, Partial<K, A::Acc>> + Clone,
    {
        let input = &self.keyed.stream;
        let (ks, local) = (self.keyed.key_selector.clone(), aggregate.clone());
        let partials: DataStream<Partial<K, A::Acc>> =
            input.one_input("window-pre-aggregate", input.edge(0), move |_, down| {
                Box::new(PreAggregate::new(ks.clone(), panes, local.clone(), down))
            });
        let partials = partials.set_parallelism(input.parallelism());
        partials
            .key_by(|p: &Partial<K, A::Acc>| p.key.clone())
            .window(self.assigner)
            .allowed_lateness(self.allowed_lateness)
            .apply(
                "window-aggregate",
                window_fn(MergePartials(aggregate, PhantomData)),
            )
    }

    /// Counts each window's elements.
    pub fn count(self) -> DataStream<WindowResult<K, u64>> {
        self.aggregate(Count)
    }

    /// Buffers each window's elements and calls `f` on all of them when it fires.
    pub fn process<O: Data, P: ProcessWindowFunction<K, T, O>>(self, f: P) -> DataStream<O>
    where
        T: crate::record::StateData,
    {
        self.apply(
            "window-process",
            ProcessWindowFn {
                f,
                scratch: Vec::new(),
            },
        )
    }
}

/// Whether `trigger` is the event-time trigger, whose timers are the same for every key of a
/// window: such windows run on the dense fast path ([`dense`]), and session windows on theirs
/// ([`session`]).
fn is_plain_event_time_trigger<Tr: 'static>(trigger: &Tr) -> bool {
    let any: &dyn Any = trigger;
    matches!(
        any.downcast_ref::<DefaultTrigger>(),
        Some(DefaultTrigger::EventTime)
    ) || any.is::<EventTimeTrigger>()
}

impl<A: Clone> Clone for AggregateWindowFn<A> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl<P: Clone, O> Clone for ProcessWindowFn<P, O> {
    fn clone(&self) -> Self {
        Self {
            f: self.f.clone(),
            scratch: Vec::new(),
        }
    }
}
