//! Accumulators that take rows back out: the aggregate calls of a `GroupAggregate` over an
//! updating input (Flink's `*WithRetractAggFunction`s, printed as `COUNT_RETRACT`, ...).
//!
//! Each call keeps what it needs to undo any row it was given, not only its result:
//! - `SUM` and `AVG` keep the number of values beside the sum, so a sum whose every value was
//!   retracted is `NULL` again, not 0;
//! - `MIN` and `MAX` keep every value with its count (a sorted multiset), so retracting the
//!   current extreme falls back to the next one exactly;
//! - `FIRST_VALUE`, `LAST_VALUE`, `LISTAGG` and `ARRAY_AGG` keep the values in arrival order;
//!   a retraction removes the earliest equal value, as Flink's list state does;
//! - the deviations and variances undo Welford's update;
//! - `DISTINCT` counts each value and passes it to the call only when its count leaves or
//!   returns to zero.

use std::cmp::Ordering;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::expr::{EvalContext, compare, wrap_int};
use crate::plan::{AggCall, AggKind};
use crate::types::TypeKind;
use crate::value::{Row, Value};

use super::super::accumulate::{array_or_null, decimal_average, integer_average};
use super::super::call_inputs::CallInputs;
use super::super::welford::{Welford, as_double};
use super::GroupFunction;

/// The running state of one call over an updating input.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Retractable {
    Count(i64),
    /// Sums of integers, wrapping as Java's `long` does; `n` counts the values in it.
    SumInt {
        sum: i64,
        n: i64,
    },
    SumFloat {
        sum: f64,
        n: i64,
    },
    SumDecimal {
        sum: i128,
        n: i64,
    },
    AvgInt {
        sum: i128,
        n: i64,
    },
    AvgFloat {
        sum: f64,
        n: i64,
    },
    AvgDecimal {
        sum: i128,
        n: i64,
    },
    /// `MIN`, `MAX`: each value with its count, sorted by value; no entry has count 0.
    Extremes(Vec<(Value, i64)>),
    /// `FIRST_VALUE`, `LAST_VALUE`: the values in arrival order.
    Arrivals(Vec<Value>),
    /// `LISTAGG`: the values with the separator each came with, in arrival order.
    Listed(Vec<(String, String)>),
    Moments(Welford),
}

/// One call's state: the state, and for `DISTINCT` the count of each value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CallState {
    state: Retractable,
    distinct: Option<FxHashMap<Value, i64>>,
}

/// Every call's state for one group.
pub(crate) type RetractingAccumulators = Vec<CallState>;

/// The aggregate calls of a `GroupAggregate` whose input is updating.
#[derive(Debug, Clone)]
pub(crate) struct RetractingAggregate {
    calls: Arc<[AggCall]>,
    inputs: Arc<[CallInputs]>,
}

impl RetractingAggregate {
    /// The accumulators of `calls`.
    pub(crate) fn new(calls: &[AggCall]) -> Self {
        let inputs = calls.iter().map(CallInputs::of).collect();
        Self {
            calls: calls.into(),
            inputs,
        }
    }

    /// Adds (`add`) or takes back one row.
    fn apply(&self, accs: &mut RetractingAccumulators, row: &Row, add: bool) {
        let ctx = EvalContext::default();
        for ((call, inputs), acc) in self.calls.iter().zip(self.inputs.iter()).zip(accs.iter_mut()) {
            if !inputs.passes(row, &ctx) {
                continue;
            }
            if call.kind == AggKind::CountStar {
                step(call, &mut acc.state, &Value::Null, "", add);
                continue;
            }
            let Some(v) = inputs.argument(row, &ctx) else {
                continue;
            };
            let sep = match inputs.separator(row, &ctx) {
                Some(Value::String(s)) => s,
                _ => ",".to_string(),
            };
            if let Some(counts) = &mut acc.distinct {
                // Only a value's first arrival and its last retraction reach the call.
                let count = counts.entry(v.clone()).or_insert(0);
                let before = *count;
                *count += if add { 1 } else { -1 };
                let after = *count;
                if after == 0 {
                    counts.remove(&v);
                }
                let crosses = if add { before == 0 } else { after == 0 };
                if !crosses {
                    continue;
                }
            }
            step(call, &mut acc.state, &v, &sep, add);
        }
    }
}

impl GroupFunction for RetractingAggregate {
    type Acc = RetractingAccumulators;

    fn create(&self) -> RetractingAccumulators {
        self.calls
            .iter()
            .map(|c| CallState {
                state: fresh(c),
                distinct: c.distinct.then(FxHashMap::default),
            })
            .collect()
    }

    fn accumulate(&self, accs: &mut RetractingAccumulators, row: &Row) {
        self.apply(accs, row, true);
    }

    fn retract(&self, accs: &mut RetractingAccumulators, row: &Row) {
        self.apply(accs, row, false);
    }

    fn values_into(&self, accs: &RetractingAccumulators, out: &mut Row) {
        out.extend(
            self.calls
                .iter()
                .zip(accs)
                .map(|(call, acc)| result_of(call, &acc.state)),
        );
    }

    /// A retraction changes results the other way: never assumed.
    fn always_changes(&self) -> bool {
        false
    }
}

fn fresh(call: &AggCall) -> Retractable {
    let arg_kind = call.args.first().map(|a| &a.ty().kind);
    match call.kind {
        AggKind::CountStar | AggKind::Count => Retractable::Count(0),
        AggKind::Sum => match arg_kind {
            Some(TypeKind::Float | TypeKind::Double) => Retractable::SumFloat { sum: 0.0, n: 0 },
            Some(TypeKind::Decimal { .. }) => Retractable::SumDecimal { sum: 0, n: 0 },
            _ => Retractable::SumInt { sum: 0, n: 0 },
        },
        AggKind::Avg => match arg_kind {
            Some(TypeKind::Float | TypeKind::Double) => Retractable::AvgFloat { sum: 0.0, n: 0 },
            Some(TypeKind::Decimal { .. }) => Retractable::AvgDecimal { sum: 0, n: 0 },
            _ => Retractable::AvgInt { sum: 0, n: 0 },
        },
        AggKind::Min | AggKind::Max => Retractable::Extremes(Vec::new()),
        AggKind::FirstValue | AggKind::LastValue | AggKind::ArrayAgg { .. } => {
            Retractable::Arrivals(Vec::new())
        }
        AggKind::ListAgg => Retractable::Listed(Vec::new()),
        AggKind::StddevPop | AggKind::StddevSamp | AggKind::VarPop | AggKind::VarSamp => {
            Retractable::Moments(Welford::default())
        }
    }
}

/// Adds (`add`) or takes back one non-NULL value (for `COUNT(*)`, a row).
fn step(call: &AggCall, state: &mut Retractable, v: &Value, sep: &str, add: bool) {
    let sign: i64 = if add { 1 } else { -1 };
    match (state, v) {
        (Retractable::Count(c), _) => *c += sign,
        (Retractable::SumInt { sum, n }, Value::Int(i)) => {
            *sum = if add {
                sum.wrapping_add(*i)
            } else {
                sum.wrapping_sub(*i)
            };
            *n += sign;
        }
        (Retractable::SumFloat { sum, n }, Value::Float(f)) => {
            *sum += if add { *f } else { -f };
            *n += sign;
        }
        (Retractable::SumDecimal { sum, n }, Value::Decimal(d)) => {
            *sum = if add {
                sum.saturating_add(*d)
            } else {
                sum.saturating_sub(*d)
            };
            *n += sign;
        }
        (Retractable::AvgInt { sum, n }, Value::Int(i)) => {
            *sum += i128::from(*i) * i128::from(sign);
            *n += sign;
        }
        (Retractable::AvgFloat { sum, n }, Value::Float(f)) => {
            *sum += if add { *f } else { -f };
            *n += sign;
        }
        (Retractable::AvgDecimal { sum, n }, Value::Decimal(d)) => {
            *sum = if add {
                sum.saturating_add(*d)
            } else {
                sum.saturating_sub(*d)
            };
            *n += sign;
        }
        (Retractable::Extremes(values), v) => count_value(values, v, sign),
        (Retractable::Arrivals(values), v) => {
            if add {
                values.push(v.clone());
            } else if let Some(at) = values.iter().position(|x| x == v) {
                values.remove(at);
            }
        }
        (Retractable::Listed(values), Value::String(s)) => {
            if add {
                values.push((s.clone(), sep.to_string()));
            } else if let Some(at) = values.iter().position(|(x, _)| x == s) {
                values.remove(at);
            }
        }
        (Retractable::Moments(w), v) => {
            if let Some(x) = call.args.first().and_then(|a| as_double(v, a.ty())) {
                if add {
                    w.add(x);
                } else {
                    w.retract(x);
                }
            }
        }
        _ => {}
    }
}

/// Changes `v`'s count in the sorted multiset by `by`, dropping an entry whose count reaches
/// zero. A retraction of a value never added leaves a negative count, which a later addition
/// cancels (Flink's map state does the same).
fn count_value(values: &mut Vec<(Value, i64)>, v: &Value, by: i64) {
    let at = values.binary_search_by(|(x, _)| compare(x, v).unwrap_or(Ordering::Equal));
    match at {
        Ok(i) => {
            values[i].1 += by;
            if values[i].1 == 0 {
                values.remove(i);
            }
        }
        Err(i) => values.insert(i, (v.clone(), by)),
    }
}

fn result_of(call: &AggCall, state: &Retractable) -> Value {
    match state {
        Retractable::Count(c) => Value::Int(*c),
        Retractable::SumInt { n, .. }
        | Retractable::SumFloat { n, .. }
        | Retractable::SumDecimal { n, .. }
        | Retractable::AvgInt { n, .. }
        | Retractable::AvgFloat { n, .. }
        | Retractable::AvgDecimal { n, .. }
            // Flink tests the count for zero only: more values retracted than added (a
            // changelog read from its middle) leave a negative count and a sum, emitted.
            if *n == 0 =>
        {
            Value::Null
        }
        Retractable::SumInt { sum, .. } => wrap_int(*sum, &call.ty.kind),
        Retractable::SumFloat { sum, .. } => Value::Float(*sum),
        Retractable::SumDecimal { sum, .. } => Value::Decimal(*sum),
        Retractable::AvgInt { sum, n } => integer_average(call, *sum, *n),
        Retractable::AvgFloat { sum, n } => Value::Float(sum / *n as f64),
        Retractable::AvgDecimal { sum, n } => decimal_average(call, *sum, *n),
        Retractable::Extremes(values) => {
            let mut present = values.iter().filter(|(_, n)| *n > 0);
            let found = if call.kind == AggKind::Min {
                present.next()
            } else {
                present.next_back()
            };
            found.map_or(Value::Null, |(v, _)| v.clone())
        }
        Retractable::Arrivals(values) if matches!(call.kind, AggKind::ArrayAgg { .. }) => {
            array_or_null(values.clone())
        }
        Retractable::Arrivals(values) => {
            let found = if call.kind == AggKind::FirstValue {
                values.first()
            } else {
                values.last()
            };
            found.cloned().unwrap_or(Value::Null)
        }
        Retractable::Listed(values) => {
            let mut text = String::new();
            for (i, (v, sep)) in values.iter().enumerate() {
                if i > 0 {
                    text.push_str(sep);
                }
                text.push_str(v);
            }
            if values.is_empty() {
                Value::Null
            } else {
                Value::String(text)
            }
        }
        Retractable::Moments(w) => w.result(call.kind, &call.ty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::BoundExpr;
    use crate::types::DataType;

    fn call(kind: AggKind, arg: TypeKind, distinct: bool) -> AggCall {
        let ty = DataType {
            kind: arg,
            nullable: true,
        };
        AggCall {
            kind,
            args: vec![BoundExpr::Column {
                index: 0,
                ty: ty.clone(),
            }],
            distinct,
            filter: None,
            ty,
        }
    }

    /// Adds then retracts `steps` (+v / -v) and returns the results after each step.
    fn run(c: AggCall, steps: &[(bool, Value)]) -> Vec<Value> {
        let agg = RetractingAggregate::new(&[c]);
        let mut acc = agg.create();
        steps
            .iter()
            .map(|(add, v)| {
                let row = vec![v.clone()];
                if *add {
                    agg.accumulate(&mut acc, &row);
                } else {
                    agg.retract(&mut acc, &row);
                }
                let mut out = Vec::new();
                agg.values_into(&acc, &mut out);
                out.swap_remove(0)
            })
            .collect()
    }

    #[test]
    fn retracting_the_maximum_falls_back_to_the_next_value() {
        let i = Value::Int;
        let got = run(
            call(AggKind::Max, TypeKind::Int, false),
            &[
                (true, i(3)),
                (true, i(7)),
                (true, i(7)),
                (false, i(7)),
                (false, i(7)),
                (false, i(3)),
            ],
        );
        assert_eq!(got, vec![i(3), i(7), i(7), i(7), i(3), Value::Null]);
    }

    #[test]
    fn a_sum_whose_values_are_all_retracted_is_null_again() {
        let i = Value::Int;
        let got = run(
            call(AggKind::Sum, TypeKind::BigInt, false),
            &[(true, i(5)), (true, i(-5)), (false, i(5)), (false, i(-5))],
        );
        assert_eq!(got, vec![i(5), i(0), i(-5), Value::Null]);
    }

    #[test]
    fn a_distinct_count_changes_only_when_a_value_comes_or_goes() {
        let i = Value::Int;
        let got = run(
            call(AggKind::Count, TypeKind::Int, true),
            &[
                (true, i(1)),
                (true, i(1)),
                (true, i(2)),
                (false, i(1)),
                (false, i(1)),
            ],
        );
        assert_eq!(got, vec![i(1), i(1), i(2), i(2), i(1)]);
    }

    #[test]
    fn first_and_last_values_follow_arrival_order_after_retractions() {
        let s = |v: &str| Value::String(v.into());
        let steps = [
            (true, s("a")),
            (true, s("b")),
            (true, s("c")),
            (false, s("a")),
            (false, s("c")),
        ];
        assert_eq!(
            run(call(AggKind::FirstValue, TypeKind::Varchar(100), false), &steps),
            vec![s("a"), s("a"), s("a"), s("b"), s("b")]
        );
        assert_eq!(
            run(call(AggKind::LastValue, TypeKind::Varchar(100), false), &steps),
            vec![s("a"), s("b"), s("c"), s("c"), s("b")]
        );
    }

    #[test]
    fn a_retracted_variance_matches_one_computed_without_the_value() {
        let f = Value::Float;
        let got = run(
            call(AggKind::VarPop, TypeKind::Double, false),
            &[(true, f(1.0)), (true, f(2.0)), (true, f(10.0)), (false, f(10.0))],
        );
        let Value::Float(v) = got[3] else {
            panic!("not a double: {:?}", got[3]);
        };
        assert!((v - 0.25).abs() < 1e-12, "{v}");
    }
}
