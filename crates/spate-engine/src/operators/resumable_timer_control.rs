//! The [`Control`](crate::runtime::output::Control) of an operator whose event-time timers
//! fire resumably through its [`KeyedRuntime`](crate::state::keyed_runtime::KeyedRuntime)
//! (`on_watermark_resumable`): every signal but a watermark first completes a firing that
//! stopped under backpressure. One definition for the keyed process and keyed co-process
//! operators, which hold the runtime in `rt` and, in `f`, a function whose
//! `on_timer(time, domain, ctx)` fires one timer, and finish such a firing with their own
//! `complete_firing()`.

/// The body of `impl Control for <operator>` (see the module docs).
macro_rules! resumable_timer_control {
    () => {
        fn downstream(&mut self) -> Option<&mut dyn $crate::runtime::output::Control> {
            Some(&mut self.rt.down)
        }
        fn watermark(&mut self, watermark: $crate::record::Timestamp) {
            let f = &mut self.f;
            self.rt
                .on_watermark_resumable(watermark, &mut |t, d, ctx| f.on_timer(t, d, ctx));
        }
        fn flush(&mut self) -> bool {
            let f = &mut self.f;
            self.rt.down.flush()
                && self
                    .rt
                    .resume_firing(true, &mut |t, d, ctx| f.on_timer(t, d, ctx))
                && self.rt.down.flush()
        }
        fn idle(&mut self, idle: bool) {
            self.complete_firing();
            self.rt.down.idle(idle);
        }
        fn tick(&mut self, now: $crate::record::Timestamp) {
            self.complete_firing();
            let f = &mut self.f;
            self.rt.on_tick(now, |t, d, ctx| f.on_timer(t, d, ctx));
        }
        fn finish(&mut self) {
            self.complete_firing();
            let f = &mut self.f;
            self.rt.on_finish(|t, d, ctx| f.on_timer(t, d, ctx));
        }
        fn snapshot(&mut self, cp: &mut $crate::checkpoint::CheckpointCtx) {
            self.complete_firing();
            self.rt.snapshot(cp);
        }
    };
}

pub(crate) use resumable_timer_control;
