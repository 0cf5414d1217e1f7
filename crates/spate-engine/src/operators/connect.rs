//! Two-input operators: connected streams and co-process functions (wired through
//! `crate::operators::two_input`).
//!
//! Both inputs of a two-input operator run in one task; their watermarks are aligned over the
//! channels of both inputs. Connecting a stream with a *broadcast* stream
//! (`a.connect(&b.broadcast())`) gives every subtask of the operator all of `b`: state the
//! function derives from `b` is the same on every subtask. For typed broadcast state that the
//! main input can only read, use [`crate::operators::broadcast`]; for keyed state and timers over two
//! keyed inputs, [`crate::operators::keyed_co_process`].

use std::marker::PhantomData;

use crate::operators::process::ProcessContext;
use crate::operators::two_input::TwoInputOperator;
use crate::record::{Data, MIN_WATERMARK, Record, Timestamp};
use crate::runtime::output::{Control, Downstream};
use crate::stream::DataStream;

/// A function over two inputs with one output. Both methods run on the same subtask and never
/// concurrently, so the function may keep shared state in its fields.
pub trait CoProcessFunction<A, B, O>: Clone + Send + 'static {
    /// An element of the first input.
    fn process_element1(&mut self, value: A, ctx: &mut ProcessContext<'_, O>);
    /// An element of the second input.
    fn process_element2(&mut self, value: B, ctx: &mut ProcessContext<'_, O>);
}

/// Two streams to be processed together.
pub struct ConnectedStreams<A, B> {
    first: DataStream<A>,
    second: DataStream<B>,
}

impl<A, B> std::fmt::Debug for ConnectedStreams<A, B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectedStreams").finish_non_exhaustive()
    }
}

impl<A: Data> DataStream<A> {
    /// Connects with another stream (possibly of another type) for a co-process function.
    pub fn connect<B: Data>(&self, other: &DataStream<B>) -> ConnectedStreams<A, B> {
        ConnectedStreams {
            first: self.clone(),
            second: other.clone(),
        }
    }
}

struct CoProcessOp<A, B, O, F> {
    f: F,
    down: Downstream<O>,
    watermark: Timestamp,
    _t: PhantomData<fn(A, B)>,
}

impl<A, B, O, F> Control for CoProcessOp<A, B, O, F>
where
    A: Data,
    B: Data,
    O: Data,
    F: CoProcessFunction<A, B, O>,
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

impl<A: Data, B: Data, O: Data, F: CoProcessFunction<A, B, O>> TwoInputOperator<A, B>
    for CoProcessOp<A, B, O, F>
{
    fn push_first(&mut self, batch: &mut Vec<Record<A>>) {
        self.down
            .process_batch(self.watermark, batch, |v, ctx| self.f.process_element1(v, ctx));
    }
    fn push_second(&mut self, batch: &mut Vec<Record<B>>) {
        self.down
            .process_batch(self.watermark, batch, |v, ctx| self.f.process_element2(v, ctx));
    }
}

impl<A: Data, B: Data> ConnectedStreams<A, B> {
    /// Runs a [`CoProcessFunction`] over both inputs.
    pub fn process<O: Data, F: CoProcessFunction<A, B, O>>(&self, f: F) -> DataStream<O> {
        self.first.two_input(
            "co-process",
            self.first.edge(0),
            self.second.edge(1),
            move |_, down| CoProcessOp {
                f: f.clone(),
                down,
                watermark: MIN_WATERMARK,
                _t: PhantomData,
            },
        )
    }
}
