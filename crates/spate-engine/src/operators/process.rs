//! Process functions: a general per-element function with side outputs ([`ProcessFunction`])
//! and the operator that runs it.

use std::marker::PhantomData;

use crate::record::{Data, MIN_WATERMARK, Record, Timestamp};
use crate::runtime::output::{Control, Downstream, Output, OutputTag};
use crate::stream::DataStream;

/// What a [`ProcessFunction`] can do for the element it processes.
pub struct ProcessContext<'a, O> {
    pub(crate) timestamp: Timestamp,
    pub(crate) watermark: Timestamp,
    pub(crate) down: &'a mut Downstream<O>,
}

impl<O> std::fmt::Debug for ProcessContext<'_, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessContext")
            .field("timestamp", &self.timestamp)
            .finish_non_exhaustive()
    }
}

impl<O: Data> ProcessContext<'_, O> {
    /// The element's timestamp.
    pub fn timestamp(&self) -> Timestamp {
        self.timestamp
    }
    /// The operator's current watermark.
    pub fn current_watermark(&self) -> Timestamp {
        self.watermark
    }
    /// Emits on the main output with the element's timestamp.
    pub fn collect(&mut self, value: O) {
        self.down.buffer.push(Record {
            timestamp: self.timestamp,
            value,
        });
    }
    /// Emits on the main output with an explicit timestamp.
    pub fn collect_with_timestamp(&mut self, value: O, timestamp: Timestamp) {
        self.down.buffer.push(Record { timestamp, value });
    }
    /// Emits to a side output.
    pub fn output<S: Data>(&mut self, tag: &OutputTag<S>, value: S) {
        self.down.side.emit(
            tag.id,
            Record {
                timestamp: self.timestamp,
                value,
            },
        );
    }
}

/// A general per-element function with side outputs. Implemented for closures
/// `FnMut(T, &mut ProcessContext<O>)`.
pub trait ProcessFunction<I, O>: Clone + Send + 'static {
    /// Called for every element.
    fn process_element(&mut self, value: I, ctx: &mut ProcessContext<'_, O>);
}

impl<I, O, F> ProcessFunction<I, O> for F
where
    F: FnMut(I, &mut ProcessContext<'_, O>) + Clone + Send + 'static,
{
    fn process_element(&mut self, value: I, ctx: &mut ProcessContext<'_, O>) {
        self(value, ctx)
    }
}

pub(crate) struct ProcessOp<T, O, F> {
    pub(crate) f: F,
    pub(crate) down: Downstream<O>,
    pub(crate) watermark: Timestamp,
    pub(crate) _t: PhantomData<fn(T)>,
}

impl<T, O, F> ProcessOp<T, O, F> {
    pub(crate) fn new(f: F, down: Downstream<O>) -> Self {
        Self {
            f,
            down,
            watermark: MIN_WATERMARK,
            _t: PhantomData,
        }
    }
}

impl<T, O, F> Control for ProcessOp<T, O, F>
where
    T: Send + 'static,
    O: Data,
    F: ProcessFunction<T, O>,
{
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        Some(&mut self.down)
    }
    // The process context reports the current watermark.
    fn watermark(&mut self, watermark: Timestamp) {
        self.watermark = watermark;
        self.down.watermark(watermark);
    }
}

impl<T: Send + 'static, O: Data, F: ProcessFunction<T, O>> Output<T> for ProcessOp<T, O, F> {
    fn push(&mut self, batch: &mut Vec<Record<T>>) {
        self.down
            .process_batch(self.watermark, batch, |v, ctx| self.f.process_element(v, ctx));
    }
}

// The batch loop lives with the process context it creates (Downstream is runtime plumbing).
impl<O: Data> Downstream<O> {
    /// Calls `process` on every element of `batch` with a [`ProcessContext`] at `watermark`,
    /// then pushes what it emitted: the batch loop of every unkeyed process-style operator.
    #[inline]
    pub(crate) fn process_batch<I>(
        &mut self,
        watermark: Timestamp,
        batch: &mut Vec<Record<I>>,
        mut process: impl FnMut(I, &mut ProcessContext<'_, O>),
    ) {
        for r in batch.drain(..) {
            let mut ctx = ProcessContext {
                timestamp: r.timestamp,
                watermark,
                down: self,
            };
            process(r.value, &mut ctx);
        }
        self.emit();
    }
}

// The API method of this family.
impl<T: Data> DataStream<T> {
    /// Runs a [`ProcessFunction`] (which may emit to side outputs).
    pub fn process<U: Data, F: ProcessFunction<T, U>>(&self, f: F) -> DataStream<U> {
        self.one_input("process", self.edge(0), move |_, down| {
            Box::new(ProcessOp::new(f.clone(), down))
        })
    }
}
