//! A regular join over changelogs, inner or outer: Flink's `StreamingJoinOperator`.
//!
//! Both inputs are keyed by the equi-join key; each side's rows of a key are kept as its
//! [`SideLayout`] says. A change on one side is joined with the rows of the other side that
//! satisfy the residual condition (its *partners*), and what is emitted follows Flink's rules
//! exactly, so that the changelog matches Flink's change for change:
//!
//! - An inner join passes the input's kind on: `+I`/`+U`/`-U`/`-D` of a row give the same
//!   kind of each joined row.
//! - An outer join emits only `+I` and `-D`. A row of an outer side without partners is emitted
//!   padded with NULLs; when its first partner arrives, `-D` of the padded row comes before the
//!   joined `+I`; when its last partner goes, the joined `-D` comes before `+I` of the padded
//!   row again. Each row of an outer side counts its partners to know when.
//! - One exception, Flink's too: when an inner side's row is retracted, its joined rows go with
//!   the input's own kind (`-U` stays `-U`), even when the other side is outer.
//!
//! Rows of a key with a NULL part never meet a partner ([`JoinKey`] keeps them apart), so an
//! outer join emits them padded and an inner join keeps them without output.

use spate_engine::keyed_co_process::KeyedCoProcessFunction;
use spate_engine::keyed_process::{KeyedContext, TimeDomain};
use spate_engine::state::{StateRegistry, ValueState};

use crate::ast::JoinKind;
use crate::expr::{CompiledExpr, EvalContext};
use crate::value::{Change, Row, RowKind, Value};
use crate::zone::SessionZone;

use super::encoded_row::EncodedRow;
use super::fail::raise;
use super::join::corrupted;
use super::join_key::JoinKey;
use super::join_side::{SideLayout, SideRows};
use super::state_ttl::StateTtl;

/// The rows a change meets on the other side, and what becomes of them.
#[derive(Clone)]
struct Partner {
    /// Where the partner's entry starts in its side's rows.
    entry: usize,
    joined: Row,
    copies: u32,
    /// The partner's association count before this change.
    matched: u32,
}

/// One side's part of the join.
#[derive(Clone)]
struct Side {
    layout: SideLayout,
    /// Whether the join keeps this side's rows that have no partner (padded with NULLs).
    outer: bool,
    width: usize,
    /// Its rows' time to live in ms (0: for ever).
    ttl_ms: i64,
    rows: Option<ValueState<SideRows>>,
}

/// The keyed co-process function of a regular join over changes.
#[derive(Clone)]
pub(crate) struct ChangelogJoinFn {
    left: Side,
    right: Side,
    condition: Option<std::sync::Arc<CompiledExpr>>,
    zone: SessionZone,
    /// The key's cleanup timer, for the longer of the two sides' TTLs.
    ttl: Option<StateTtl>,
    partners: Vec<Partner>,
    out: Vec<Change>,
    /// Reused encoding of the row being added or retracted.
    scratch: EncodedRow,
}

/// What the translator knows of one input.
pub(crate) struct JoinSideSpec {
    pub(crate) layout: SideLayout,
    pub(crate) width: usize,
    /// How long its rows live after their last write (`None`: for ever).
    pub(crate) ttl: Option<std::time::Duration>,
}

impl ChangelogJoinFn {
    pub(crate) fn new(
        kind: JoinKind,
        left: JoinSideSpec,
        right: JoinSideSpec,
        condition: Option<CompiledExpr>,
        zone: SessionZone,
    ) -> Self {
        // `Option`'s order puts `None` first, so this is the longer of the TTLs there are.
        let longest = left.ttl.max(right.ttl);
        let side = |spec: JoinSideSpec, outer: bool| Side {
            layout: spec.layout,
            outer,
            width: spec.width,
            ttl_ms: spec
                .ttl
                .map_or(0, |t| i64::try_from(t.as_millis()).unwrap_or(i64::MAX)),
            rows: None,
        };
        // One timer per key, for when the key has gone unwritten for the longer TTL: then every
        // row of a side with a TTL expired. Rows that expire sooner are dropped when the key is
        // next seen (and never met before that).
        let ttl = StateTtl::new(longest);
        Self {
            left: side(left, matches!(kind, JoinKind::Left | JoinKind::Full)),
            right: side(right, matches!(kind, JoinKind::Right | JoinKind::Full)),
            condition: condition.map(std::sync::Arc::new),
            zone,
            ttl,
            partners: Vec::new(),
            out: Vec::new(),
            scratch: EncodedRow::default(),
        }
    }

    fn padded(&self, row: &Row, is_left: bool) -> Row {
        let mut out = Vec::with_capacity(self.left.width + self.right.width);
        if is_left {
            out.extend(row.iter().cloned());
            out.resize(self.left.width + self.right.width, Value::Null);
        } else {
            out.resize(self.left.width, Value::Null);
            out.extend(row.iter().cloned());
        }
        out
    }

    /// A partner's padded row, from its joined row with a change on the left (`is_left`) or
    /// right side: the change's columns made NULL.
    fn partner_padded(&self, joined: &Row, is_left: bool) -> Row {
        let mut out = joined.clone();
        let change_columns = if is_left {
            &mut out[..self.left.width]
        } else {
            &mut out[self.left.width..]
        };
        change_columns.fill(Value::Null);
        out
    }

    fn passes(&self, joined: &Row) -> bool {
        let Some(c) = &self.condition else {
            return true;
        };
        let ctx = EvalContext {
            zone: self.zone,
            ..EvalContext::default()
        };
        c.eval_predicate(joined, &ctx).unwrap_or_else(|e| raise(e))
    }

    /// Drops both sides' entries of the current key that outlived their side's TTL.
    fn expire(&self, ctx: &mut KeyedContext<'_, JoinKey, Change>) {
        if self.left.ttl_ms == 0 && self.right.ttl_ms == 0 {
            return;
        }
        let now = ctx.current_processing_time();
        for side in [&self.left, &self.right] {
            let Some(state) = &side.rows else { continue };
            if side.ttl_ms == 0 || state.get(ctx).is_none() {
                continue;
            }
            let empty = state
                .get_or_insert_with(ctx, SideRows::default)
                .is_none_or(|rows| !rows.expire(now, side.ttl_ms).unwrap_or_else(|e| corrupted(e)));
            if empty {
                state.clear(ctx);
            }
        }
    }

    fn process(&mut self, change: Change, is_left: bool, ctx: &mut KeyedContext<'_, JoinKey, Change>) {
        self.expire(ctx);
        let (mine, other) = if is_left {
            (&self.left, &self.right)
        } else {
            (&self.right, &self.left)
        };
        let (Some(mine_state), Some(other_state)) = (mine.rows.clone(), other.rows.clone()) else {
            return;
        };
        let (input_outer, other_outer) = (mine.outer, other.outer);
        let mine_layout = mine.layout.clone();
        let Change { kind, row } = change;

        // The partners, with their joined rows.
        let mut partners = std::mem::take(&mut self.partners);
        if let Some(rows) = other_state.get(ctx) {
            for e in rows.iter() {
                let e = e.unwrap_or_else(|e| corrupted(e));
                let mut joined = Vec::with_capacity(self.left.width + self.right.width);
                if is_left {
                    joined.extend(row.iter().cloned());
                }
                e.decode_into(&mut joined).unwrap_or_else(|e| corrupted(e));
                if !is_left {
                    joined.extend(row.iter().cloned());
                }
                if self.passes(&joined) {
                    partners.push(Partner {
                        entry: e.at,
                        joined,
                        copies: e.copies,
                        matched: e.matched,
                    });
                }
            }
        }
        let found: u32 = partners.iter().map(|p| p.copies).sum();

        let mut out = std::mem::take(&mut self.out);
        let accumulate = matches!(kind, RowKind::Insert | RowKind::UpdateAfter);
        if partners.is_empty() {
            if input_outer {
                let kind = if accumulate {
                    RowKind::Insert
                } else {
                    RowKind::Delete
                };
                out.push(Change {
                    kind,
                    row: self.padded(&row, is_left),
                });
            }
        } else {
            // Each partner in turn, each copy of it in turn: a partner's padded row is retracted
            // just before its first joined row, and padded again just after its last one goes.
            let joined_kind = match (accumulate, input_outer || other_outer) {
                (true, true) => RowKind::Insert,
                (false, _) if input_outer => RowKind::Delete,
                _ => kind,
            };
            for p in partners.iter_mut() {
                let repad = other_outer && p.matched == if accumulate { 0 } else { 1 };
                let padded = repad.then(|| self.partner_padded(&p.joined, is_left));
                for copy in 0..p.copies {
                    let joined = if copy + 1 == p.copies {
                        std::mem::take(&mut p.joined)
                    } else {
                        p.joined.clone()
                    };
                    if accumulate && let Some(padded) = &padded {
                        out.push(Change {
                            kind: RowKind::Delete,
                            row: padded.clone(),
                        });
                    }
                    out.push(Change {
                        kind: joined_kind,
                        row: joined,
                    });
                    if !accumulate && let Some(padded) = &padded {
                        out.push(Change::insert(padded.clone()));
                    }
                }
            }
        }

        // State: an outer other side's association counts, then this side's row.
        let now = if self.left.ttl_ms > 0 || self.right.ttl_ms > 0 {
            ctx.current_processing_time()
        } else {
            0
        };
        if other_outer
            && !partners.is_empty()
            && let Some(rows) = other_state.get_or_insert_with(ctx, SideRows::default)
        {
            for p in &partners {
                let matched = if accumulate {
                    p.matched.saturating_add(1)
                } else {
                    p.matched.saturating_sub(1)
                };
                // Flink writes the count back, which renews the entry's TTL.
                rows.set_matched(p.entry, matched, now);
            }
        }
        let scratch = &mut self.scratch;
        let mine_empty = match mine_state.get_or_insert_with(ctx, SideRows::default) {
            Some(rows) => {
                let done = if accumulate {
                    mine_layout.add(rows, &row, if input_outer { found } else { 0 }, now, scratch)
                } else {
                    mine_layout.retract(rows, &row, now, scratch)
                };
                done.unwrap_or_else(|e| corrupted(e));
                rows.is_empty()
            }
            None => false,
        };
        if mine_empty {
            mine_state.clear(ctx);
        }
        if let Some(ttl) = &self.ttl {
            ttl.wrote(ctx);
        }
        partners.clear();
        self.partners = partners;
        for c in out.drain(..) {
            ctx.collect(c);
        }
        self.out = out;
    }
}

impl KeyedCoProcessFunction<JoinKey, Change, Change, Change> for ChangelogJoinFn {
    fn open(&mut self, states: &mut StateRegistry<'_, JoinKey>) {
        self.left.rows = Some(states.value("left"));
        self.right.rows = Some(states.value("right"));
        if let Some(ttl) = &mut self.ttl {
            ttl.open(states, "join-written");
        }
    }

    fn process_element1(&mut self, value: Change, ctx: &mut KeyedContext<'_, JoinKey, Change>) {
        self.process(value, true, ctx);
    }

    fn process_element2(&mut self, value: Change, ctx: &mut KeyedContext<'_, JoinKey, Change>) {
        self.process(value, false, ctx);
    }

    fn on_timer(
        &mut self,
        _: spate_engine::Timestamp,
        domain: TimeDomain,
        ctx: &mut KeyedContext<'_, JoinKey, Change>,
    ) {
        if domain != TimeDomain::ProcessingTime {
            return;
        }
        if let Some(ttl) = &self.ttl
            && ttl.on_timer(ctx)
        {
            for side in [&self.left, &self.right] {
                if side.ttl_ms > 0
                    && let Some(state) = &side.rows
                {
                    state.clear(ctx);
                }
            }
        }
    }
}
