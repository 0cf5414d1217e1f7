//! Two-input operators: connected streams and co-process functions.
//!
//! Both inputs of a two-input operator run in one task; their watermarks are aligned over the
//! channels of both inputs. Connecting a stream with a *broadcast* stream
//! (`a.connect(&b.broadcast())`) gives every subtask of the operator all of `b`: state the
//! function derives from `b` is the same on every subtask. For typed broadcast state that the
//! main input can only read, use [`crate::broadcast`]; for keyed state and timers over two
//! keyed inputs, [`crate::keyed_co_process`].

use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::graph::{AnyBox, BuildCtx, NodeKind, boxed, unbox};
use crate::operators::{Downstream, ProcessContext};
use crate::record::{Data, MIN_WATERMARK, Record, Timestamp};
use crate::runtime::output::{Control, Output};
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

struct CoCore<A, B, O, F> {
    f: F,
    down: Downstream<O>,
    watermark: Timestamp,
    _t: PhantomData<fn(A, B)>,
}

type Shared<A, B, O, F> = Arc<Mutex<CoCore<A, B, O, F>>>;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Only this task touches the core; a poisoned lock means user code panicked, which already
    // failed the job.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct FirstInput<A, B, O, F>(Shared<A, B, O, F>);
struct SecondInput<A, B, O, F>(Shared<A, B, O, F>);

impl<A: Data, B: Data, O: Data, F: CoProcessFunction<A, B, O>> Control for FirstInput<A, B, O, F> {
    fn watermark(&mut self, w: Timestamp) {
        let mut c = lock(&self.0);
        c.watermark = w;
        c.down.watermark(w);
    }
    fn idle(&mut self, i: bool) {
        lock(&self.0).down.idle(i)
    }
    fn tick(&mut self, now: Timestamp) {
        lock(&self.0).down.tick(now)
    }
    fn finish(&mut self) {
        lock(&self.0).down.finish()
    }
    fn flush(&mut self) -> bool {
        lock(&self.0).down.flush()
    }
}

impl<A: Data, B: Data, O: Data, F: CoProcessFunction<A, B, O>> Output<A> for FirstInput<A, B, O, F> {
    fn push(&mut self, batch: &mut Vec<Record<A>>) {
        let mut guard = lock(&self.0);
        let c = &mut *guard;
        for r in batch.drain(..) {
            let mut ctx = ProcessContext {
                timestamp: r.timestamp,
                watermark: c.watermark,
                down: &mut c.down,
            };
            c.f.process_element1(r.value, &mut ctx);
        }
        c.down.emit();
    }
}

/// The second input's control signals are handled through the first input (the task aligns
/// watermarks over both and signals once).
impl<A: Data, B: Data, O: Data, F: CoProcessFunction<A, B, O>> Control for SecondInput<A, B, O, F> {
    fn watermark(&mut self, _: Timestamp) {}
    fn idle(&mut self, _: bool) {}
    fn tick(&mut self, _: Timestamp) {}
    fn finish(&mut self) {}
    fn flush(&mut self) -> bool {
        lock(&self.0).down.flush()
    }
}

impl<A: Data, B: Data, O: Data, F: CoProcessFunction<A, B, O>> Output<B> for SecondInput<A, B, O, F> {
    fn push(&mut self, batch: &mut Vec<Record<B>>) {
        let mut guard = lock(&self.0);
        let c = &mut *guard;
        for r in batch.drain(..) {
            let mut ctx = ProcessContext {
                timestamp: r.timestamp,
                watermark: c.watermark,
                down: &mut c.down,
            };
            c.f.process_element2(r.value, &mut ctx);
        }
        c.down.emit();
    }
}

impl<A: Data, B: Data> ConnectedStreams<A, B> {
    /// Runs a [`CoProcessFunction`] over both inputs.
    pub fn process<O: Data, F: CoProcessFunction<A, B, O>>(&self, f: F) -> DataStream<O> {
        let build = move |ctx: &mut BuildCtx<'_>, out: AnyBox| -> (AnyBox, AnyBox) {
            let down = Downstream::new(unbox::<O>(out), ctx.take_side_outputs());
            let core = Arc::new(Mutex::new(CoCore {
                f: f.clone(),
                down,
                watermark: MIN_WATERMARK,
                _t: PhantomData,
            }));
            (
                boxed::<A>(Box::new(FirstInput(core.clone()))),
                boxed::<B>(Box::new(SecondInput(core))),
            )
        };
        self.first.add_node(
            "co-process",
            NodeKind::TwoInput(Box::new(build)),
            vec![self.first.edge(0), self.second.edge(1)],
        )
    }
}
