//! Idle state expiry for the operators of updating queries: Flink's `table.exec.state.ttl`.
//!
//! Flink's semantics (`StateConfigUtil.createTtlConfig`): processing time; a key's state lives
//! `ttl` after it was last *written* (created or updated: reading does not extend it); state past
//! that is never returned, so the next row of the key finds none and starts the key afresh (a
//! `GroupAggregate` emits `+I` again, a retraction for it is dropped). With a TTL the operators
//! also stop suppressing updates equal to the row before, as Flink does, so that downstream
//! operators see each key written and do not expire it early.
//!
//! Expired state is dropped when its key is next seen, and otherwise by a processing-time timer:
//! each key has at most one pending timer, set when its state is first written; when it fires
//! and the state was written again since, it is set again for the new expiry. So a key costs one
//! timer however often it is written, and state nobody touches again goes away within one TTL
//! of its expiry. At the end of a bounded input the engine fires pending timers early; the
//! expiry is checked against the clock, not the timer, so that drops nothing early.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use spate_engine::keyed_process::KeyedContext;
use spate_engine::state::{StateRegistry, ValueState};
use spate_engine::{Key, Timestamp};

/// When a key's state was last written and the time of its pending cleanup timer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Written {
    at: Timestamp,
    /// 0: none pending.
    timer: Timestamp,
}

/// A TTL and the per-key state that tracks it, for one operator.
#[derive(Clone)]
pub(crate) struct StateTtl {
    ttl_ms: i64,
    written: Option<ValueState<Written>>,
}

impl StateTtl {
    /// `None` for a zero TTL (Flink's default: state never expires).
    pub(crate) fn new(ttl: Option<Duration>) -> Option<Self> {
        let ttl_ms = i64::try_from(ttl?.as_millis()).unwrap_or(i64::MAX);
        (ttl_ms > 0).then_some(Self {
            ttl_ms,
            written: None,
        })
    }

    /// Registers the state; `name` must not be used by the operator for anything else.
    pub(crate) fn open<K: Key>(&mut self, states: &mut StateRegistry<'_, K>, name: &str) {
        self.written = Some(states.value(name));
    }

    /// Whether the current key's state expired (and should be treated as absent). A key
    /// without a record of its writes has not expired (it has no state, or none the TTL
    /// covers yet).
    pub(crate) fn expired<K: Key, O: spate_engine::Data>(&self, ctx: &KeyedContext<'_, K, O>) -> bool {
        let Some(written) = &self.written else {
            return false;
        };
        written
            .get(ctx)
            .is_some_and(|w| w.at.saturating_add(self.ttl_ms) <= ctx.current_processing_time())
    }

    /// Records a write of the current key's state now, and makes sure a cleanup timer is
    /// pending.
    pub(crate) fn wrote<K: Key, O: spate_engine::Data>(&self, ctx: &mut KeyedContext<'_, K, O>) {
        let Some(written) = &self.written else {
            return;
        };
        let now = ctx.current_processing_time();
        let timer = match written.get(ctx) {
            Some(w) if w.timer != 0 => w.timer,
            _ => {
                let at = now.saturating_add(self.ttl_ms);
                ctx.register_processing_time_timer(at);
                at
            }
        };
        written.update(ctx, Written { at: now, timer });
    }

    /// Forgets the current key's writes (its state was cleared). A pending timer finds nothing.
    pub(crate) fn cleared<K: Key, O: spate_engine::Data>(&self, ctx: &mut KeyedContext<'_, K, O>) {
        if let Some(written) = &self.written {
            written.clear(ctx);
        }
    }

    /// A cleanup timer fired: `true` when the current key's state expired (the caller clears
    /// it; the record of its writes is gone already); otherwise the timer is set again for the
    /// state's current expiry.
    pub(crate) fn on_timer<K: Key, O: spate_engine::Data>(&self, ctx: &mut KeyedContext<'_, K, O>) -> bool {
        let Some(written) = &self.written else {
            return false;
        };
        let Some(w) = written.get(ctx).copied() else {
            return false;
        };
        let expires = w.at.saturating_add(self.ttl_ms);
        if expires <= ctx.current_processing_time() {
            written.clear(ctx);
            return true;
        }
        ctx.register_processing_time_timer(expires);
        written.update(
            ctx,
            Written {
                at: w.at,
                timer: expires,
            },
        );
        false
    }
}
