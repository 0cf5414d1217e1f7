//! Plumbing shared by two-input operators (keyed co-process, broadcast process, interval join).
//!
//! The planner wires a two-input operator as two outputs, one per input, that must reach the
//! same operator state. Both run in one task and never concurrently, so the shared state sits
//! behind an uncontended mutex, taken once per batch. Control signals (watermark, idleness,
//! ticks, end of input) arrive once through the first input: the task aligns watermarks over the
//! channels of both inputs before signalling.

use std::marker::PhantomData;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::graph::{LogicalEdge, NodeKind};
use crate::record::{Data, Record, Timestamp};
use crate::runtime::build::{AnyBox, BuildCtx, boxed, unbox};
use crate::runtime::output::Downstream;
use crate::runtime::output::{Control, Output};
use crate::stream::DataStream;

/// A two-input operator: batches of either input, control signals once for both.
pub(crate) trait TwoInputOperator<A, B>: Control {
    fn push_first(&mut self, batch: &mut Vec<Record<A>>);
    fn push_second(&mut self, batch: &mut Vec<Record<B>>);
}

type Shared<Op> = Arc<Mutex<Op>>;

fn lock<Op>(m: &Mutex<Op>) -> MutexGuard<'_, Op> {
    // Only this task touches the operator; a poisoned lock means user code panicked, which
    // already failed the job.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct FirstInput<A, B, Op>(Shared<Op>, PhantomData<fn(A, B)>);
struct SecondInput<A, B, Op>(Shared<Op>, PhantomData<fn(A, B)>);

// The operator sits behind a mutex, so no reference to its downstream can be handed out:
// every signal is forwarded under the lock.
impl<A, B, Op: TwoInputOperator<A, B>> Control for FirstInput<A, B, Op> {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        None
    }
    fn watermark(&mut self, w: Timestamp) {
        lock(&self.0).watermark(w)
    }
    fn idle(&mut self, i: bool) {
        lock(&self.0).idle(i)
    }
    fn tick(&mut self, now: Timestamp) {
        lock(&self.0).tick(now)
    }
    fn finish(&mut self) {
        lock(&self.0).finish()
    }
    fn flush(&mut self) -> bool {
        lock(&self.0).flush()
    }
    fn checkpoint(&mut self, cp: &mut crate::checkpoint::CheckpointCtx) {
        lock(&self.0).checkpoint(cp)
    }
    fn checkpoint_complete(&mut self, id: u64) {
        lock(&self.0).checkpoint_complete(id)
    }
}

impl<A, B, Op: TwoInputOperator<A, B>> Output<A> for FirstInput<A, B, Op> {
    fn push(&mut self, batch: &mut Vec<Record<A>>) {
        lock(&self.0).push_first(batch)
    }
}

/// Control signals of the second input are handled through the first input.
// Control signals reach the operator once, through the first input; the second only flushes.
impl<A, B, Op: TwoInputOperator<A, B>> Control for SecondInput<A, B, Op> {
    fn downstream(&mut self) -> Option<&mut dyn Control> {
        None
    }
    fn flush(&mut self) -> bool {
        lock(&self.0).flush()
    }
}

impl<A, B, Op: TwoInputOperator<A, B>> Output<B> for SecondInput<A, B, Op> {
    fn push(&mut self, batch: &mut Vec<Record<B>>) {
        lock(&self.0).push_second(batch)
    }
}

impl<A: Data> DataStream<A> {
    /// Adds a two-input operator reading `first` (input 0) and `second` (input 1).
    pub(crate) fn two_input<B: Data, O: Data, Op>(
        &self,
        name: &str,
        first: LogicalEdge,
        second: LogicalEdge,
        build: impl Fn(&mut BuildCtx<'_>, Downstream<O>) -> Op + 'static,
    ) -> DataStream<O>
    where
        Op: TwoInputOperator<A, B> + 'static,
    {
        let build = move |ctx: &mut BuildCtx<'_>, out: AnyBox| -> (AnyBox, AnyBox) {
            let down = Downstream::new(unbox::<O>(out), ctx.take_side_outputs());
            let op = Arc::new(Mutex::new(build(ctx, down)));
            (
                boxed::<A>(Box::new(FirstInput::<A, B, Op>(op.clone(), PhantomData))),
                boxed::<B>(Box::new(SecondInput::<A, B, Op>(op, PhantomData))),
            )
        };
        self.add_node(name, NodeKind::TwoInput(Box::new(build)), vec![first, second])
    }
}
