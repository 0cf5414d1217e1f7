//! Stateless one-input operators: map, filter, flat map, and timestamp/watermark assignment
//! in the middle of a pipeline.

use std::marker::PhantomData;

use crate::graph::NodeKind;
use crate::record::{Data, MAX_WATERMARK, Record, Timestamp};
use crate::runtime::build::{boxed, unbox};
use crate::runtime::output::{BoxOutput, Control, Downstream, Output};
use crate::stream::DataStream;
use crate::watermark::{SplitWatermarks, TimestampAssigner, WatermarkGeneration, WatermarkStrategy};

pub(crate) struct MapOp<T, U, F> {
    pub(crate) f: F,
    pub(crate) down: Downstream<U>,
    pub(crate) _t: PhantomData<fn(T)>,
}

impl<T, U, F> Control for MapOp<T, U, F>
where
    T: Send + 'static,
    U: Data,
    F: FnMut(T) -> U + Send,
{
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(&mut self.down)
    }
}

impl<T: Send + 'static, U: Data, F: FnMut(T) -> U + Send> Output<T> for MapOp<T, U, F> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        let f = &mut self.f;
        self.down.buffer.extend(batch.drain(..).map(|r| Record {
            timestamp: r.timestamp,
            value: f(r.value),
        }));
        self.down.emit();
    }
}

pub(crate) struct MapBatchesOp<T, U, F> {
    pub(crate) f: F,
    pub(crate) down: Downstream<U>,
    pub(crate) _t: PhantomData<fn(T)>,
}

impl<T, U, F> Control for MapBatchesOp<T, U, F>
where
    T: Send + 'static,
    U: Data,
    F: Send,
{
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(&mut self.down)
    }
}

impl<T, U, F> Output<T> for MapBatchesOp<T, U, F>
where
    T: Send + 'static,
    U: Data,
    F: FnMut(&mut Vec<Record<T>>, &mut Vec<Record<U>>) + Send,
{
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        (self.f)(batch, &mut self.down.buffer);
        batch.clear();
        self.down.emit();
    }
}

pub(crate) struct FilterOp<T, F> {
    pub(crate) f: F,
    pub(crate) down: Downstream<T>,
}

impl<T, F> Control for FilterOp<T, F>
where
    T: Data,
    F: FnMut(&T) -> bool + Send,
{
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(&mut self.down)
    }
}

impl<T: Data, F: FnMut(&T) -> bool + Send> Output<T> for FilterOp<T, F> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        let f = &mut self.f;
        batch.retain(|r| f(&r.value));
        self.down.out.push(batch);
    }
}

pub(crate) struct FlatMapOp<T, U, F> {
    pub(crate) f: F,
    pub(crate) down: Downstream<U>,
    pub(crate) _t: PhantomData<fn(T)>,
}

impl<T, U, F> Control for FlatMapOp<T, U, F>
where
    T: Send + 'static,
    U: Data,
    F: Send,
{
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(&mut self.down)
    }
}

impl<T, U, I, F> Output<T> for FlatMapOp<T, U, F>
where
    T: Send + 'static,
    U: Data,
    I: IntoIterator<Item = U>,
    F: FnMut(T) -> I + Send,
{
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        for r in batch.drain(..) {
            let ts = r.timestamp;
            self.down.buffer.extend(
                (self.f)(r.value)
                    .into_iter()
                    .map(|value| Record { timestamp: ts, value }),
            );
        }
        self.down.emit();
    }
}

/// Assigns timestamps and watermarks in the middle of a pipeline (upstream watermarks are
/// replaced; only the final watermark of a bounded input passes through).
pub(crate) struct TimestampsOp<T, A> {
    pub(crate) assigner: A,
    pub(crate) watermarks: SplitWatermarks,
    pub(crate) out: BoxOutput<T>,
    pub(crate) now: Timestamp,
}

impl<T, A> TimestampsOp<T, A> {
    pub(crate) fn new(assigner: A, generation: WatermarkGeneration, out: BoxOutput<T>) -> Self {
        Self {
            assigner,
            watermarks: SplitWatermarks::new(generation, None),
            out,
            now: 0,
        }
    }
}

impl<T: Send + 'static, A: TimestampAssigner<T>> Control for TimestampsOp<T, A> {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(self.out.as_mut())
    }
    fn watermark(&mut self, w: Timestamp) {
        if w == MAX_WATERMARK {
            self.out.watermark(w);
        }
    }
    fn tick(&mut self, now: Timestamp) {
        self.now = now;
        self.out.tick(now)
    }
}

impl<T: Send + 'static, A: TimestampAssigner<T>> Output<T> for TimestampsOp<T, A> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        if batch.is_empty() {
            return;
        }
        let mut max = i64::MIN;
        for r in batch.iter_mut() {
            r.timestamp = self.assigner.extract(&r.value, r.timestamp);
            max = max.max(r.timestamp);
        }
        self.watermarks.on_batch(0, max, self.now);
        self.out.push(batch);
        if let (Some(w), _) = self.watermarks.advance(self.now) {
            self.out.watermark(w);
        }
    }
}

// The API methods of this family: they record nodes whose closures build the operators above.
impl<T: Data> DataStream<T> {
    /// Applies `f` to every element.
    pub fn map<U: Data, F>(&self, f: F) -> DataStream<U>
    where
        F: FnMut(T) -> U + Clone + Send + 'static,
    {
        self.one_input("map", self.edge(0), move |_, down| {
            Box::new(MapOp {
                f: f.clone(),
                down,
                _t: PhantomData,
            })
        })
    }

    /// Keeps the elements for which `f` is true.
    pub fn filter<F>(&self, f: F) -> DataStream<T>
    where
        F: FnMut(&T) -> bool + Clone + Send + 'static,
    {
        self.one_input("filter", self.edge(0), move |_, down| {
            Box::new(FilterOp { f: f.clone(), down })
        })
    }

    /// Replaces every element with zero or more elements.
    pub fn flat_map<U: Data, I, F>(&self, f: F) -> DataStream<U>
    where
        I: IntoIterator<Item = U>,
        F: FnMut(T) -> I + Clone + Send + 'static,
    {
        self.one_input("flat_map", self.edge(0), move |_, down| {
            Box::new(FlatMapOp {
                f: f.clone(),
                down,
                _t: PhantomData,
            })
        })
    }

    /// Replaces each batch of elements with the records `f` appends to its second argument:
    /// for functions that do better a batch at a time than an element at a time (one query
    /// to an external system for a whole batch). `f` may leave the batch as it finds it; it
    /// is cleared after.
    pub fn map_batches<U: Data, F>(&self, f: F) -> DataStream<U>
    where
        F: FnMut(&mut Vec<Record<T>>, &mut Vec<Record<U>>) + Clone + Send + 'static,
    {
        self.one_input("map_batches", self.edge(0), move |_, down| {
            Box::new(MapBatchesOp {
                f: f.clone(),
                down,
                _t: PhantomData,
            })
        })
    }

    /// Re-assigns timestamps and watermarks (upstream watermarks are dropped, except the final one).
    pub fn assign_timestamps_and_watermarks<A: TimestampAssigner<T>>(
        &self,
        strategy: WatermarkStrategy<A>,
    ) -> DataStream<T> {
        self.add_node(
            "timestamps",
            NodeKind::OneInput(Box::new(move |_, out| {
                boxed::<T>(Box::new(TimestampsOp::new(
                    strategy.assigner.clone(),
                    strategy.generation,
                    unbox::<T>(out),
                )))
            })),
            vec![self.edge(0)],
        )
    }
}
