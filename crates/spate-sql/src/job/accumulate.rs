//! Window aggregation of SQL aggregate calls as one engine [`AggregateFunction`]: a vector of
//! accumulators per window, checkpointed with serde.

use std::cmp::Ordering;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use spate_engine::window::AggregateFunction;

use crate::decimal;
use crate::expr::{EvalContext, compare, wrap_int};
use crate::plan::{AggCall, AggKind};
use crate::row_memory::RowDrop;
use crate::types::{DataType, TypeKind};
use crate::value::{Row, Value};

use super::call_inputs::CallInputs;
use super::slice_order::SliceOrder;
use super::welford::{Welford, as_double};

/// The running state of one aggregate call.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum State {
    Count(i64),
    SumInt(Option<i64>),
    SumFloat(Option<f64>),
    SumDecimal(Option<i128>),
    AvgInt {
        sum: i128,
        count: i64,
    },
    AvgFloat {
        sum: f64,
        count: i64,
    },
    AvgDecimal {
        sum: i128,
        count: i64,
    },
    Extreme(Value),
    /// `STDDEV_*` and `VAR_*`.
    Moments(Welford),
    /// `STDDEV_*` and `VAR_*` over a hopping or cumulating window: the state per slice, by
    /// slice key, merged in Flink's order for the result (the bits of a `DOUBLE` depend on it).
    SlicedMoments(Vec<(i64, Welford)>),
    ListAgg(Option<String>),
    /// `LISTAGG` over a hopping or cumulating window: the text per slice, by slice key
    /// (see [`SliceOrder`]), so the result lists the slices in Flink's order.
    SlicedListAgg(Vec<(i64, String)>),
    /// `DISTINCT`: the distinct values; the result folds them through a fresh state. Boxed,
    /// so every other state (moved per record and per window) stays small.
    #[allow(clippy::box_collection)] // The box is the point: 8 bytes inline instead of 48.
    Distinct(Box<FxHashSet<Value>>),
    /// The first of several `COUNT(DISTINCT x)` calls over one argument (with different
    /// `FILTER`s): their shared values (see [`SharedDistinct`]).
    SharedDistinct(Box<SharedDistinct>),
    /// A later one of those calls: its count is kept by the first.
    SharedMember,
    /// `ARRAY_AGG`: the values in arrival order (`DISTINCT`: each value's first arrival).
    Array(Vec<Value>),
    /// `ARRAY_AGG` over a hopping or cumulating window: the values per slice, by slice key,
    /// listed in Flink's order of the slices (see [`SliceOrder`]).
    SlicedArray(Vec<(i64, Vec<Value>)>),
}

/// The `COUNT(DISTINCT x)` calls of one aggregate over the same `x`, as Flink keeps them: one
/// map from each distinct value to the calls that counted it (a bit per call, set when the
/// value passed that call's `FILTER`), and each call's count. Nexmark q16 counts distinct
/// bidders and auctions four ways each; one map per argument instead of a set per call is a
/// quarter of the hashing and of the memory.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SharedDistinct {
    seen: SeenValues,
    counts: SmallVec<[i64; 4]>,
}

/// The distinct values with their bits: integers (`TINYINT` .. `BIGINT`: Nexmark's bidders
/// and auctions) by their `i64`, a 16-byte entry hashed and compared as one word, the rest
/// as values.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum SeenValues {
    Ints(FxHashMap<i64, u64>),
    Values(FxHashMap<Value, u64>),
}

impl SharedDistinct {
    /// No values yet, for `calls` calls over values of `kind`.
    fn new(kind: Option<&TypeKind>, calls: usize) -> Self {
        let seen = match kind {
            Some(TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt) => {
                SeenValues::Ints(FxHashMap::default())
            }
            _ => SeenValues::Values(FxHashMap::default()),
        };
        Self {
            seen,
            counts: std::iter::repeat_n(0, calls).collect(),
        }
    }

    /// Counts `value` for the calls of `bits`.
    fn add(&mut self, value: Value, bits: u64) {
        let seen = match (&mut self.seen, value) {
            (SeenValues::Ints(map), Value::Int(i)) => map.entry(i).or_insert(0),
            (SeenValues::Values(map), v) => map.entry(v).or_insert(0),
            // An integer column holds only integers.
            (SeenValues::Ints(_), _) => return,
        };
        let mut new = bits & !*seen;
        *seen |= bits;
        while new != 0 {
            let bit = new.trailing_zeros() as usize;
            if let Some(c) = self.counts.get_mut(bit) {
                *c += 1;
            }
            new &= new - 1;
        }
    }
}

/// How a call's distinct values are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sharing {
    /// In its own state.
    Alone,
    /// For itself and the calls listed (itself first; a call's position is its bit).
    Owner(Vec<usize>),
    /// By call `owner`, at bit `bit`.
    Member { owner: usize, bit: usize },
}

/// Which `COUNT(DISTINCT x)` calls share their values: those over equal arguments, up to 64
/// to a map.
fn sharing_of(calls: &[AggCall]) -> Vec<Sharing> {
    let mut sharing = vec![Sharing::Alone; calls.len()];
    for (i, call) in calls.iter().enumerate() {
        if sharing[i] != Sharing::Alone || !(call.distinct && call.kind == AggKind::Count) {
            continue;
        }
        let Some(arg) = call.args.first() else {
            continue;
        };
        let mut members = vec![i];
        for (j, other) in calls.iter().enumerate().skip(i + 1) {
            if members.len() < 64
                && sharing[j] == Sharing::Alone
                && other.distinct
                && other.kind == AggKind::Count
                && other.args.first() == Some(arg)
            {
                sharing[j] = Sharing::Member {
                    owner: i,
                    bit: members.len(),
                };
                members.push(j);
            }
        }
        if members.len() > 1 {
            sharing[i] = Sharing::Owner(members);
        }
    }
    sharing
}

/// One window's accumulators, one per aggregate call. Inline for one call (the common case:
/// a window aggregate creates one per key and window, often one per input row); kept small
/// because the window operator moves them per record and per window.
pub type Accumulators = SmallVec<[AccState; 1]>;

/// A window's aggregate results, one per call; inline for up to two calls, so a firing window
/// usually allocates only its output row.
pub type AggValues = SmallVec<[Value; 2]>;

/// The state of one call (a wrapper so the enum stays private).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccState(State);

/// Every aggregate call of one window aggregate.
#[derive(Debug, Clone)]
pub struct SqlAggregate {
    calls: Vec<AggCall>,
    /// Every call's fresh state, cloned per window: a window aggregate creates accumulators
    /// per key and window (often per input row), and working each call's state out from its
    /// argument types every time was most of that.
    fresh: Accumulators,
    /// Per call, its compiled `FILTER`, argument and separator (`LISTAGG`).
    inputs: Arc<[CallInputs]>,
    /// Where a row falls among its windows' slices, for `LISTAGG` over HOP and CUMULATE.
    slices: Option<SliceOrder>,
    /// How an added row is freed.
    row_drop: RowDrop,
    /// Per call, whether its distinct values are shared with other calls'.
    sharing: Arc<[Sharing]>,
}

impl SqlAggregate {
    /// The aggregate for `calls`.
    pub fn new(calls: Vec<AggCall>) -> Self {
        let inputs = calls.iter().map(CallInputs::of).collect();
        let sharing = sharing_of(&calls);
        let fresh = calls
            .iter()
            .zip(&sharing)
            .map(|(c, share)| {
                AccState(match share {
                    Sharing::Alone => fresh(c),
                    Sharing::Owner(members) => State::SharedDistinct(Box::new(SharedDistinct::new(
                        c.args.first().map(|a| &a.ty().kind),
                        members.len(),
                    ))),
                    Sharing::Member { .. } => State::SharedMember,
                })
            })
            .collect();
        Self {
            calls,
            inputs,
            fresh,
            slices: None,
            row_drop: RowDrop::Checked,
            sharing: sharing.into(),
        }
    }

    /// Frees the rows it is given as `row_drop` says (the input's column types).
    pub(crate) fn with_row_drop(mut self, row_drop: RowDrop) -> Self {
        self.row_drop = row_drop;
        self
    }

    /// Whether partial accumulators merge to the result of one accumulator in any grouping
    /// and order (what local-global aggregation needs): not for `FIRST_VALUE`, `LAST_VALUE`
    /// and `LISTAGG`, whose results follow arrival order. (A `DOUBLE` sum, average, deviation
    /// or variance may differ in its last bits, as it does in Flink's two-phase aggregation.)
    pub(crate) fn merges_in_any_order(&self) -> bool {
        self.calls.iter().all(|c| {
            matches!(
                c.kind,
                AggKind::CountStar
                    | AggKind::Count
                    | AggKind::Sum
                    | AggKind::Avg
                    | AggKind::Min
                    | AggKind::Max
            ) || c.kind.is_dispersion()
        })
    }

    /// Appends every call's result to `out` (what `result` returns, without its vector).
    pub(crate) fn result_into(&self, acc: &Accumulators, out: &mut Vec<Value>) {
        out.extend((0..self.calls.len()).map(|i| self.result_of_call(i, acc)));
    }

    /// Call `i`'s result.
    fn result_of_call(&self, i: usize, acc: &Accumulators) -> Value {
        let (Some(call), Some(AccState(state))) = (self.calls.get(i), acc.get(i)) else {
            return Value::Null;
        };
        let (owner, bit) = match self.sharing.get(i) {
            Some(Sharing::Member { owner, bit }) => (*owner, *bit),
            Some(Sharing::Owner(_)) => (i, 0),
            _ => return result_of(call, state),
        };
        match acc.get(owner) {
            Some(AccState(State::SharedDistinct(shared))) => {
                Value::Int(shared.counts.get(bit).copied().unwrap_or(0))
            }
            _ => Value::Null,
        }
    }

    /// Folds `row` into the shared distinct values of the calls `members` (call `owner`'s
    /// state): the argument is evaluated once, for the calls whose `FILTER` passes.
    fn add_shared(&self, members: &[usize], state: &mut State, row: &Row, ctx: &EvalContext) {
        let mut bits = 0u64;
        for (bit, &m) in members.iter().enumerate() {
            if self.inputs.get(m).is_some_and(|i| i.passes(row, ctx)) {
                bits |= 1 << bit;
            }
        }
        if bits == 0 {
            return;
        }
        let value = members
            .first()
            .and_then(|&m| self.inputs.get(m))
            .and_then(|i| i.argument(row, ctx));
        if let (Some(v), State::SharedDistinct(shared)) = (value, state) {
            shared.add(v, bits);
        }
    }

    /// Whether a call counts every row (`COUNT(*)` without `FILTER`): each row added then
    /// changes the results.
    pub(crate) fn counts_every_row(&self) -> bool {
        self.calls
            .iter()
            .any(|c| c.kind == AggKind::CountStar && c.filter.is_none() && !c.distinct)
    }

    /// Lists `LISTAGG`'s rows slice by slice in Flink's order (see [`SliceOrder`]).
    pub(crate) fn with_slice_order(mut self, slices: Option<SliceOrder>) -> Self {
        self.slices = slices;
        if slices.is_some() {
            for AccState(state) in self.fresh.iter_mut() {
                match state {
                    State::ListAgg(_) => *state = State::SlicedListAgg(Vec::new()),
                    State::Moments(_) => *state = State::SlicedMoments(Vec::new()),
                    State::Array(_) => *state = State::SlicedArray(Vec::new()),
                    _ => {}
                }
            }
        }
        self
    }
}

/// `LISTAGG`'s separator when it is not given per row: the literal, else a comma.
fn literal_separator(call: &AggCall) -> &str {
    separator_text(call.args.get(1).and_then(|e| e.as_literal()))
}

/// The text of a `LISTAGG` separator value: a string, else (none, NULL) a comma.
fn separator_text(sep: Option<&Value>) -> &str {
    match sep {
        Some(Value::String(sep)) => sep,
        _ => ",",
    }
}

fn scale_of(ty: &DataType) -> u32 {
    match ty.kind {
        TypeKind::Decimal { scale, .. } => scale,
        _ => 0,
    }
}

fn fresh(call: &AggCall) -> State {
    // `ARRAY_AGG(DISTINCT ..)` keeps arrival order, which a set would lose: its state sees
    // every value and skips repeats itself.
    if call.distinct && !matches!(call.kind, AggKind::ArrayAgg { .. }) {
        return State::Distinct(Box::default());
    }
    fresh_plain(call)
}

fn fresh_plain(call: &AggCall) -> State {
    let arg_kind = call.args.first().map(|a| &a.ty().kind);
    match call.kind {
        AggKind::CountStar | AggKind::Count => State::Count(0),
        AggKind::Sum => match arg_kind {
            Some(TypeKind::Float | TypeKind::Double) => State::SumFloat(None),
            Some(TypeKind::Decimal { .. }) => State::SumDecimal(None),
            _ => State::SumInt(None),
        },
        AggKind::Avg => match arg_kind {
            Some(TypeKind::Float | TypeKind::Double) => State::AvgFloat { sum: 0.0, count: 0 },
            Some(TypeKind::Decimal { .. }) => State::AvgDecimal { sum: 0, count: 0 },
            _ => State::AvgInt { sum: 0, count: 0 },
        },
        AggKind::Min | AggKind::Max | AggKind::FirstValue | AggKind::LastValue => State::Extreme(Value::Null),
        AggKind::ListAgg => State::ListAgg(None),
        AggKind::StddevPop | AggKind::StddevSamp | AggKind::VarPop | AggKind::VarSamp => {
            State::Moments(Welford::default())
        }
        AggKind::ArrayAgg { .. } => State::Array(Vec::new()),
    }
}

/// An `ARRAY_AGG`'s result: Flink's ARRAY_AGG of no value is NULL, not an empty array.
pub(super) fn array_or_null(values: Vec<Value>) -> Value {
    if values.is_empty() {
        Value::Null
    } else {
        Value::Array(values)
    }
}

/// Adds `v` to an `ARRAY_AGG`'s values, unless (`DISTINCT`) it is there already.
fn push_element(values: &mut Vec<Value>, v: &Value, distinct: bool) {
    if !(distinct && values.contains(v)) {
        values.push(v.clone());
    }
}

/// Folds one non-NULL argument value (or, for `COUNT(*)`, a row) into a plain state.
fn add_value(call: &AggCall, state: &mut State, v: &Value, sep: Option<&Value>) {
    match (state, v) {
        (State::Count(c), _) => *c += 1,
        (State::SumInt(s), Value::Int(i)) => *s = Some(s.unwrap_or(0).wrapping_add(*i)),
        (State::SumFloat(s), Value::Float(f)) => *s = Some(s.unwrap_or(0.0) + f),
        (State::SumDecimal(s), Value::Decimal(d)) => *s = Some(s.unwrap_or(0).saturating_add(*d)),
        (State::AvgInt { sum, count }, Value::Int(i)) => {
            *sum += i128::from(*i);
            *count += 1;
        }
        (State::AvgFloat { sum, count }, Value::Float(f)) => {
            *sum += f;
            *count += 1;
        }
        (State::AvgDecimal { sum, count }, Value::Decimal(d)) => {
            *sum = sum.saturating_add(*d);
            *count += 1;
        }
        (State::Moments(w), v) => {
            if let Some(x) = call.args.first().and_then(|a| as_double(v, a.ty())) {
                w.add(x);
            }
        }
        (State::Extreme(cur), v) => {
            let replace = match call.kind {
                AggKind::Min => cur.is_null() || compare(v, cur) == Some(Ordering::Less),
                AggKind::Max => cur.is_null() || compare(v, cur) == Some(Ordering::Greater),
                AggKind::FirstValue => cur.is_null(),
                _ => true,
            };
            if replace {
                *cur = v.clone();
            }
        }
        (State::Array(values), v) => push_element(values, v, call.distinct),
        (State::ListAgg(acc), Value::String(s)) => match acc {
            None => *acc = Some(s.clone()),
            Some(a) => {
                a.push_str(separator_text(sep));
                a.push_str(s);
            }
        },
        _ => {}
    }
}

fn merge_states(call: &AggCall, a: &mut State, b: State) {
    match (a, b) {
        (State::Count(x), State::Count(y)) => *x += y,
        (State::SumInt(x), State::SumInt(Some(y))) => *x = Some(x.unwrap_or(0).wrapping_add(y)),
        (State::SumFloat(x), State::SumFloat(Some(y))) => *x = Some(x.unwrap_or(0.0) + y),
        (State::SumDecimal(x), State::SumDecimal(Some(y))) => *x = Some(x.unwrap_or(0).saturating_add(y)),
        (State::AvgInt { sum, count }, State::AvgInt { sum: s, count: c }) => {
            *sum += s;
            *count += c;
        }
        (State::AvgFloat { sum, count }, State::AvgFloat { sum: s, count: c }) => {
            *sum += s;
            *count += c;
        }
        (State::AvgDecimal { sum, count }, State::AvgDecimal { sum: s, count: c }) => {
            *sum = sum.saturating_add(s);
            *count += c;
        }
        (State::Moments(x), State::Moments(y)) => x.merge(&y),
        (State::SlicedMoments(x), State::SlicedMoments(y)) => {
            for (key, part) in y {
                slice_of(x, key).merge(&part);
            }
        }
        // Merged sessions: the later session's values arrived later for FIRST/LAST.
        (a @ State::Extreme(_), State::Extreme(v)) if !v.is_null() => match call.kind {
            AggKind::FirstValue => {
                if matches!(a, State::Extreme(Value::Null)) {
                    *a = State::Extreme(v);
                }
            }
            _ => add_value(call, a, &v, None),
        },
        (State::ListAgg(x), State::ListAgg(Some(y))) => match x {
            None => *x = Some(y),
            Some(s) => {
                s.push_str(literal_separator(call));
                s.push_str(&y);
            }
        },
        (State::SlicedListAgg(x), State::SlicedListAgg(y)) => {
            for (key, text) in y {
                append_to_slice(x, key, &text, literal_separator(call));
            }
        }
        (State::Distinct(x), State::Distinct(y)) => x.extend(*y),
        (State::Array(x), State::Array(y)) => {
            for v in &y {
                push_element(x, v, call.distinct);
            }
        }
        (State::SlicedArray(x), State::SlicedArray(y)) => {
            for (key, values) in y {
                let slice = slice_of(x, key);
                for v in &values {
                    push_element(slice, v, call.distinct);
                }
            }
        }
        (State::SharedDistinct(x), State::SharedDistinct(y)) => match y.seen {
            SeenValues::Ints(map) => map.into_iter().for_each(|(i, bits)| x.add(Value::Int(i), bits)),
            SeenValues::Values(map) => map.into_iter().for_each(|(v, bits)| x.add(v, bits)),
        },
        _ => {}
    }
}

/// The parts of a sliced state in the order Flink combines them: by slice key (see
/// [`SliceOrder`]).
fn in_slice_order<T>(parts: &[(i64, T)]) -> impl Iterator<Item = &T> {
    let mut order: Vec<&(i64, T)> = parts.iter().collect();
    order.sort_by_key(|(key, _)| *key);
    order.into_iter().map(|(_, part)| part)
}

/// The state of slice `key` (a deviation's moments, an `ARRAY_AGG`'s values), started empty
/// if it has none yet.
fn slice_of<T: Default>(parts: &mut Vec<(i64, T)>, key: i64) -> &mut T {
    let at = match parts.iter().position(|(k, _)| *k == key) {
        Some(at) => at,
        None => {
            parts.push((key, T::default()));
            parts.len() - 1
        }
    };
    &mut parts[at].1
}

/// Appends `text` to the slice `key`'s text (after `sep`), or starts that slice.
fn append_to_slice(parts: &mut Vec<(i64, String)>, key: i64, text: &str, sep: &str) {
    match parts.iter_mut().find(|(k, _)| *k == key) {
        Some((_, s)) => {
            s.push_str(sep);
            s.push_str(text);
        }
        None => parts.push((key, text.to_string())),
    }
}

/// `AVG` of integers from their sum and count (not zero). Flink sums integers of every width
/// in a BIGINT that wraps, then divides: the average of values whose sum overflows is that of
/// the wrapped sum (a window of 9223372036854775807, 1, 5, 2 averages to -2305843009213693950
/// in Flink 2.3).
pub(super) fn integer_average(call: &AggCall, sum: i128, count: i64) -> Value {
    wrap_int((sum as i64) / count.max(1), &call.ty.kind)
}

/// `AVG` of decimals from their unscaled sum and count (not zero): at the result's scale,
/// rounded half up.
pub(super) fn decimal_average(call: &AggCall, sum: i128, count: i64) -> Value {
    let from = call.args.first().map_or(0, |a| scale_of(a.ty()));
    let to = scale_of(&call.ty);
    let scaled = decimal::rescale(sum, from, to + 1).unwrap_or(i128::MAX);
    let q = scaled / i128::from(count.max(1));
    decimal::rescale(q, to + 1, to).map_or(Value::Null, Value::Decimal)
}

fn result_of(call: &AggCall, state: &State) -> Value {
    match state {
        State::Count(c) => Value::Int(*c),
        State::SumInt(s) => s.map_or(Value::Null, |s| wrap_int(s, &call.ty.kind)),
        State::SumFloat(s) => s.map_or(Value::Null, Value::Float),
        State::SumDecimal(s) => s.map_or(Value::Null, Value::Decimal),
        State::AvgInt { count: 0, .. }
        | State::AvgFloat { count: 0, .. }
        | State::AvgDecimal { count: 0, .. } => Value::Null,
        State::AvgInt { sum, count } => integer_average(call, *sum, *count),
        State::AvgFloat { sum, count } => Value::Float(sum / *count as f64),
        State::AvgDecimal { sum, count } => decimal_average(call, *sum, *count),
        State::Extreme(v) => v.clone(),
        State::Moments(w) => w.result(call.kind, &call.ty),
        State::SlicedMoments(parts) => {
            let mut whole = Welford::default();
            for part in in_slice_order(parts) {
                whole.merge(part);
            }
            whole.result(call.kind, &call.ty)
        }
        State::ListAgg(s) => s.clone().map_or(Value::Null, Value::String),
        State::Array(values) => array_or_null(values.clone()),
        State::SlicedArray(parts) => {
            let mut values = Vec::new();
            for part in in_slice_order(parts) {
                for v in part {
                    push_element(&mut values, v, call.distinct);
                }
            }
            array_or_null(values)
        }
        State::SlicedListAgg(parts) if parts.is_empty() => Value::Null,
        State::SlicedListAgg(parts) => {
            let texts: Vec<&str> = in_slice_order(parts).map(String::as_str).collect();
            Value::String(texts.join(literal_separator(call)))
        }
        // The set holds the distinct non-NULL values: its size is the count, with no fold
        // (an unbounded GROUP BY asks for its results after every row).
        State::Distinct(values) if matches!(call.kind, AggKind::Count | AggKind::CountStar) => {
            Value::Int(i64::try_from(values.len()).unwrap_or(i64::MAX))
        }
        // Read through `SqlAggregate::result_of_call`, which knows the shared counts.
        State::SharedDistinct(_) | State::SharedMember => Value::Null,
        State::Distinct(values) => {
            let mut plain = fresh_plain(call);
            let sep = call.args.get(1).and_then(|e| e.as_literal());
            for v in values.iter() {
                if !v.is_null() {
                    add_value(call, &mut plain, v, sep);
                }
            }
            result_of(call, &plain)
        }
    }
}

impl AggregateFunction<Row> for SqlAggregate {
    type Acc = Accumulators;
    type Out = AggValues;

    fn create(&self) -> Accumulators {
        self.fresh.clone()
    }

    fn add(&self, acc: &mut Accumulators, row: Row) {
        self.add_ref(acc, &row);
        self.row_drop.drop(row);
    }

    /// Aggregates only read the row: a HOP window's row is folded into each of its windows
    /// without a copy per window.
    fn add_ref(&self, acc: &mut Accumulators, row: &Row) {
        let ctx = EvalContext::default();
        for (((call, inputs), AccState(state)), sharing) in self
            .calls
            .iter()
            .zip(self.inputs.iter())
            .zip(acc.iter_mut())
            .zip(self.sharing.iter())
        {
            match sharing {
                Sharing::Alone => {}
                Sharing::Owner(members) => {
                    self.add_shared(members, state, row, &ctx);
                    continue;
                }
                Sharing::Member { .. } => continue,
            }
            if !inputs.passes(row, &ctx) {
                continue;
            }
            if call.kind == AggKind::CountStar {
                add_value(call, state, &Value::Null, None);
                continue;
            }
            let Some(v) = inputs.argument(row, &ctx) else {
                continue;
            };
            if let State::Distinct(set) = state {
                set.insert(v);
                continue;
            }
            let sep = inputs.separator(row, &ctx);
            match state {
                State::SlicedListAgg(parts) => {
                    let (Some(order), Value::String(text)) = (&self.slices, &v) else {
                        continue;
                    };
                    append_to_slice(parts, order.key(row), text, separator_text(sep.as_ref()));
                }
                State::SlicedArray(parts) => {
                    let Some(order) = &self.slices else {
                        continue;
                    };
                    push_element(slice_of(parts, order.key(row)), &v, call.distinct);
                }
                State::SlicedMoments(parts) => {
                    let (Some(order), Some(x)) = (
                        &self.slices,
                        call.args.first().and_then(|a| as_double(&v, a.ty())),
                    ) else {
                        continue;
                    };
                    slice_of(parts, order.key(row)).add(x);
                }
                _ => add_value(call, state, &v, sep.as_ref()),
            }
        }
    }

    fn merge(&self, acc: &mut Accumulators, other: Accumulators) {
        for ((call, AccState(a)), AccState(b)) in self.calls.iter().zip(acc.iter_mut()).zip(other) {
            merge_states(call, a, b);
        }
    }

    fn result(&self, acc: &Accumulators) -> AggValues {
        (0..self.calls.len())
            .map(|i| self.result_of_call(i, acc))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::BoundExpr;

    /// The window operator moves accumulators per record and results per fired window:
    /// growing them (a large state variant, a wider inline buffer) shows up as memmove time
    /// (`perf` of scripts/bench-sql/tumble-count.sql), so their sizes are pinned here.
    #[test]
    fn accumulator_and_result_sizes_stay_small() {
        assert!(
            std::mem::size_of::<AccState>() <= 48,
            "{}",
            std::mem::size_of::<AccState>()
        );
        assert!(
            std::mem::size_of::<Accumulators>() <= 64,
            "{}",
            std::mem::size_of::<Accumulators>()
        );
        assert!(
            std::mem::size_of::<AggValues>() <= 80,
            "{}",
            std::mem::size_of::<AggValues>()
        );
    }

    /// A HOP window's deviation keeps its state per slice; a checkpoint (bincode, as the
    /// engine writes it) taken halfway restores to the same result, and so does merging a
    /// partial state (two-phase) of the same rows, slice by slice.
    #[test]
    fn sliced_deviation_state_checkpoints_and_merges() {
        use crate::plan::WindowSpec;
        let ty = |kind| DataType { kind, nullable: true };
        let stddev = SqlAggregate::new(vec![AggCall {
            kind: AggKind::StddevPop,
            args: vec![BoundExpr::Column {
                index: 0,
                ty: ty(TypeKind::Double),
            }],
            distinct: false,
            filter: None,
            ty: ty(TypeKind::Double),
        }])
        .with_slice_order(SliceOrder::of(
            WindowSpec::Hop {
                slide: 5000,
                size: 15_000,
                offset: 0,
            },
            1,
            true,
            None,
            false,
        ));
        let rows: Vec<Row> = [(0.1, 1000), (0.2, 6000), (0.7, 7000), (1.3, 12_000), (2.9, 2000)]
            .iter()
            .map(|(x, ms)| vec![Value::Float(*x), Value::Timestamp(ms * 1000)])
            .collect();
        let mut whole = stddev.create();
        for row in &rows {
            stddev.add_ref(&mut whole, row);
        }
        assert!(matches!(&whole[0].0, State::SlicedMoments(parts) if parts.len() == 3));
        let mut first = stddev.create();
        for row in &rows[..2] {
            stddev.add_ref(&mut first, row);
        }
        let bytes = bincode::serialize(&first).unwrap();
        let mut restored: Accumulators = bincode::deserialize(&bytes).unwrap();
        for row in &rows[2..] {
            stddev.add_ref(&mut restored, row);
        }
        assert_eq!(stddev.result(&restored), stddev.result(&whole));
        let mut rest = stddev.create();
        for row in &rows[2..] {
            stddev.add_ref(&mut rest, row);
        }
        let mut merged = stddev.create();
        for row in &rows[..2] {
            stddev.add_ref(&mut merged, row);
        }
        stddev.merge(&mut merged, rest);
        let (Value::Float(a), Value::Float(b)) = (&stddev.result(&merged)[0], &stddev.result(&whole)[0])
        else {
            panic!("not doubles");
        };
        assert!((a - b).abs() < 1e-12, "{a} {b}");
    }

    /// `COUNT(DISTINCT a)` calls with different `FILTER`s share one map of values; each
    /// call's count is what it is computed alone, after adding rows, after merging two
    /// partial states (two-phase) and after a checkpoint (bincode) and restore.
    #[test]
    fn shared_distinct_counts_match_each_call_alone() {
        // Integers keep their own map; strings (any other type) keep values.
        for text in [false, true] {
            shared_distinct_case(text);
        }
    }

    fn shared_distinct_case(text: bool) {
        let ty = |kind| DataType { kind, nullable: true };
        let col = |index, kind| BoundExpr::Column { index, ty: ty(kind) };
        let count_distinct = |filter: Option<BoundExpr>| AggCall {
            kind: AggKind::Count,
            args: vec![col(
                0,
                if text {
                    TypeKind::Varchar(10)
                } else {
                    TypeKind::BigInt
                },
            )],
            distinct: true,
            filter,
            ty: DataType::new(TypeKind::BigInt).not_null(),
        };
        let calls = vec![
            count_distinct(None),
            count_distinct(Some(col(1, TypeKind::Boolean))),
            AggCall {
                kind: AggKind::CountStar,
                args: vec![],
                distinct: false,
                filter: None,
                ty: DataType::new(TypeKind::BigInt).not_null(),
            },
            count_distinct(Some(col(2, TypeKind::Boolean))),
        ];
        let shared = SqlAggregate::new(calls.clone());
        assert!(matches!(shared.sharing[0], Sharing::Owner(ref m) if m == &[0, 1, 3]));
        let rows: Vec<Row> = (0..200i64)
            .map(|i| {
                let a = match (i % 17 == 0, text) {
                    (true, _) => Value::Null,
                    (false, false) => Value::Int(i * 7 % 23),
                    (false, true) => Value::String(format!("v{}", i * 7 % 23)),
                };
                vec![a, Value::Boolean(i % 9 < 5), Value::Boolean(i % 3 == 0)]
            })
            .collect();
        let fold = |agg: &SqlAggregate, rows: &[Row]| {
            let mut acc = agg.create();
            for r in rows {
                agg.add_ref(&mut acc, r);
            }
            acc
        };
        let alone: Vec<Value> = calls
            .iter()
            .map(|c| {
                SqlAggregate::new(vec![c.clone()]).result(&fold(&SqlAggregate::new(vec![c.clone()]), &rows))
                    [0]
                .clone()
            })
            .collect();
        assert_eq!(shared.result(&fold(&shared, &rows)).to_vec(), alone);
        let mut merged = fold(&shared, &rows[..80]);
        shared.merge(&mut merged, fold(&shared, &rows[80..]));
        assert_eq!(shared.result(&merged).to_vec(), alone);
        let bytes = bincode::serialize(&fold(&shared, &rows[..120])).unwrap();
        let mut restored: Accumulators = bincode::deserialize(&bytes).unwrap();
        for r in &rows[120..] {
            shared.add_ref(&mut restored, r);
        }
        assert_eq!(shared.result(&restored).to_vec(), alone);
        assert!(
            alone.iter().all(|v| matches!(v, Value::Int(n) if *n > 0)),
            "{alone:?}"
        );
    }

    /// Flink 2.3 (the conformance probes of 2026-11-26): `AVG` of integers divides the sum
    /// wrapped to a BIGINT, as `SUM` is; a sum that stays in range gives the plain average.
    #[test]
    fn an_integer_average_divides_the_wrapped_sum() {
        use crate::types::DataType;
        let ty = |kind| DataType { kind, nullable: true };
        let avg = SqlAggregate::new(vec![AggCall {
            kind: AggKind::Avg,
            args: vec![BoundExpr::Column {
                index: 0,
                ty: ty(TypeKind::BigInt),
            }],
            distinct: false,
            filter: None,
            ty: ty(TypeKind::BigInt),
        }]);
        let average = |values: &[i64]| {
            let mut acc = avg.create();
            for v in values {
                avg.add(&mut acc, vec![Value::Int(*v)]);
            }
            avg.result(&acc).into_iter().next()
        };
        assert_eq!(
            average(&[i64::MAX, 1, 5, 2]),
            Some(Value::Int(-2_305_843_009_213_693_950))
        );
        assert_eq!(average(&[-7, 2]), Some(Value::Int(-2)));
        assert_eq!(average(&[]), Some(Value::Null));
    }
}
