//! [`IntExpr`]: expressions whose every node is one `i64` (an integer, or a timestamp in
//! microseconds), evaluated by one match over a small tree.
//!
//! Why: a computed column such as `k AS id % 1000` or `ts AS TO_TIMESTAMP_LTZ(id, 3)` is run for
//! every record a source reads. As [`CompiledExpr`](super::CompiledExpr) closures each node is a
//! call through a pointer that returns a `Result<Value>` through memory; here the nodes pass
//! `Option<i64>` in registers and only the root becomes a [`Value`].
//!
//! Contract: [`IntExpr::value`] returns exactly what [`BoundExpr::eval`] returns for every row
//! (values, NULLs, the division-by-zero error), so it may replace the general evaluator for
//! any expression [`IntExpr::of`] accepts.

use super::BoundExpr;
use super::arith::{checked_int_arith, division_by_zero};
use super::arith_op::ArithOp;
use super::cast::preserves_values;
use super::const_divisor::ConstDivisor;
use super::context::EvalError;
use super::func::ScalarFunc;
use super::functions::{TimeFunc, extract_micros};
use super::typing::is_integer;
use crate::ast::TimeUnit;
use crate::temporal::MICROS_PER_SECOND;
use crate::types::TypeKind;
use crate::value::{Row, Value, set_computed, set_value};

/// Which `Value` variant carries a node's `i64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Carrier {
    /// `Value::Int`: `TINYINT` .. `BIGINT`.
    Int,
    /// `Value::Timestamp`: `TIMESTAMP`, `TIMESTAMP_LTZ`.
    Timestamp,
}

impl Carrier {
    fn of(kind: &TypeKind) -> Option<Self> {
        match kind {
            k if is_integer(k) => Some(Carrier::Int),
            TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_) => Some(Carrier::Timestamp),
            _ => None,
        }
    }

    /// The `i64` of `v`; any other variant (`NULL` included) is `None`, as the general
    /// evaluator's operand readers treat it.
    #[inline]
    fn read(self, v: &Value) -> Option<i64> {
        match (self, v) {
            (Carrier::Int, Value::Int(i)) | (Carrier::Timestamp, Value::Timestamp(i)) => Some(*i),
            _ => None,
        }
    }

    #[inline]
    fn value(self, v: Option<i64>) -> Value {
        match (self, v) {
            (_, None) => Value::Null,
            (Carrier::Int, Some(i)) => Value::Int(i),
            (Carrier::Timestamp, Some(t)) => Value::Timestamp(t),
        }
    }
}

/// Integers narrowed to their SQL type after arithmetic (Java's wrapping casts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    TinyInt,
    SmallInt,
    Int,
    BigInt,
}

impl Width {
    fn of(kind: &TypeKind) -> Option<Self> {
        Some(match kind {
            TypeKind::TinyInt => Width::TinyInt,
            TypeKind::SmallInt => Width::SmallInt,
            TypeKind::Int => Width::Int,
            TypeKind::BigInt => Width::BigInt,
            _ => return None,
        })
    }

    #[inline]
    fn wrap(self, i: i64) -> i64 {
        match self {
            Width::TinyInt => i64::from(i as i8),
            Width::SmallInt => i64::from(i as i16),
            Width::Int => i64::from(i as i32),
            Width::BigInt => i,
        }
    }
}

/// A node of an integer expression (see the module docs).
#[derive(Debug, Clone)]
enum Node {
    Column(usize, Carrier),
    Literal(Option<i64>),
    Arith {
        op: ArithOp,
        width: Width,
        operands: Box<[Node; 2]>,
    },
    /// `TO_TIMESTAMP_LTZ(n, precision)`: `n` times `per` microseconds, at millisecond precision.
    ToTimestampLtz {
        n: Box<Node>,
        per: i64,
    },
    /// `EXTRACT(unit FROM t)` / `HOUR(t)` .. of a `TIMESTAMP` (wall-clock time: a
    /// `TIMESTAMP_LTZ` needs the session's zone and is left to the general evaluator).
    Extract {
        unit: TimeUnit,
        t: Box<Node>,
    },
}

/// The microseconds in one unit of `TO_TIMESTAMP_LTZ(n, precision)`'s `n`, given the arguments
/// after `n`: only a constant, non-NULL precision (a NULL argument makes the call NULL).
pub(super) fn micros_per_unit(rest: &[BoundExpr]) -> Option<i64> {
    let precision = match rest {
        [] => 3,
        [p] => p.as_literal()?.as_i64()?,
        _ => return None,
    };
    Some(if precision == 0 { MICROS_PER_SECOND } else { 1000 })
}

/// Division by zero, the one way these nodes fail.
#[derive(Debug, Clone, Copy)]
struct DivisionByZero;

impl Node {
    fn of(e: &BoundExpr) -> Option<Self> {
        let carrier = Carrier::of(&e.ty().kind)?;
        let (func, args, ty) = match e {
            BoundExpr::Column { index, .. } => return Some(Node::Column(*index, carrier)),
            BoundExpr::Literal { value, .. } => return Some(Node::Literal(carrier.read(value))),
            BoundExpr::Call { func, args, ty } => (func, args.as_slice(), ty),
        };
        match (func, args) {
            (ScalarFunc::Cast { .. }, [arg])
                if preserves_values(&arg.ty().kind, &ty.kind)
                    && Carrier::of(&arg.ty().kind) == Some(carrier) =>
            {
                Node::of(arg)
            }
            (ScalarFunc::Arith(op), [a, b])
                if is_integer(&a.ty().kind) && is_integer(&b.ty().kind) && carrier == Carrier::Int =>
            {
                Some(Node::Arith {
                    op: *op,
                    width: Width::of(&ty.kind)?,
                    operands: Box::new([Node::of(a)?, Node::of(b)?]),
                })
            }
            (ScalarFunc::Time(TimeFunc::ToTimestampLtz), [n, rest @ ..]) if is_integer(&n.ty().kind) => {
                Some(Node::ToTimestampLtz {
                    per: micros_per_unit(rest)?,
                    n: Box::new(Node::of(n)?),
                })
            }
            (ScalarFunc::Time(TimeFunc::Extract(unit)), [t])
                if matches!(t.ty().kind, TypeKind::Timestamp(_)) && carrier == Carrier::Int =>
            {
                Some(Node::Extract {
                    unit: *unit,
                    t: Box::new(Node::of(t)?),
                })
            }
            _ => None,
        }
    }

    /// A leaf's value in place, any other node's by a call: most operands are columns and
    /// literals, and a call per leaf was most of the time spent here (perf).
    #[inline(always)]
    fn operand(&self, row: &[Value]) -> Result<Option<i64>, DivisionByZero> {
        match self {
            Node::Column(i, carrier) => Ok(row.get(*i).and_then(|v| carrier.read(v))),
            Node::Literal(v) => Ok(*v),
            _ => self.eval(row),
        }
    }

    fn eval(&self, row: &[Value]) -> Result<Option<i64>, DivisionByZero> {
        Ok(match self {
            Node::Column(i, carrier) => row.get(*i).and_then(|v| carrier.read(v)),
            Node::Literal(v) => *v,
            Node::Arith { op, width, operands } => {
                // Both operands first, the left one's error first: as the general evaluator.
                let [a, b] = &**operands;
                let (x, y) = (a.operand(row)?, b.operand(row)?);
                let (Some(x), Some(y)) = (x, y) else {
                    return Ok(None);
                };
                Some(width.wrap(checked_int_arith(*op, x, y).ok_or(DivisionByZero)?))
            }
            // `per` is 1000 or 10^6 (`micros_per_unit`): the product is whole milliseconds
            // already, so the truncation to precision 3 that Flink applies changes nothing.
            Node::ToTimestampLtz { n, per } => n.operand(row)?.and_then(|i| i.checked_mul(*per)),
            Node::Extract { unit, t } => t.operand(row)?.map(|t| extract_micros(*unit, t)),
        })
    }
}

/// An integer or timestamp expression over integer and timestamp columns, literals, integer
/// arithmetic, casts that change no value, `TO_TIMESTAMP_LTZ` of an integer and `EXTRACT` (`HOUR`, ..)
/// of a `TIMESTAMP`.
#[derive(Debug, Clone)]
pub struct IntExpr {
    root: Node,
    carrier: Carrier,
    shape: Shape,
}

/// The root's shape when it is one of the computed columns sources declare most (`k AS id %
/// 1000`, `ts AS TO_TIMESTAMP_LTZ(id, 3)`): evaluated in one step, with no call per node. Callgrind
/// counted about 65 instructions per evaluation of such a column through the tree.
#[derive(Debug, Clone, Copy)]
enum Shape {
    /// `column op literal`, the literal not `NULL` (and not one [`Shape::ColumnRemainder`]
    /// or [`Shape::ColumnQuotient`] takes).
    ColumnOpLiteral {
        column: usize,
        op: ArithOp,
        width: Width,
        literal: i64,
    },
    /// `column % literal` by a literal in `2..2^32`: without a `div` for columns in `0..2^32`,
    /// and never a division by zero. Matched per row, the operator and an optional divisor were
    /// about 15 instructions of the 55 such a column cost (callgrind).
    ColumnRemainder {
        column: usize,
        width: Width,
        literal: i64,
        divisor: ConstDivisor,
    },
    /// `column / literal`, as [`Shape::ColumnRemainder`].
    ColumnQuotient {
        column: usize,
        width: Width,
        literal: i64,
        divisor: ConstDivisor,
    },
    /// `TO_TIMESTAMP_LTZ(column, precision)`.
    TimestampOfColumn { column: usize, per: i64 },
    /// Anything else: the tree.
    Tree,
}

impl Shape {
    fn of(root: &Node) -> Self {
        match root {
            Node::Arith { op, width, operands } => match &**operands {
                [Node::Column(column, Carrier::Int), Node::Literal(Some(literal))] => {
                    let (column, width, literal) = (*column, *width, *literal);
                    match (op, ConstDivisor::of(literal)) {
                        (ArithOp::Modulo, Some(divisor)) => Shape::ColumnRemainder {
                            column,
                            width,
                            literal,
                            divisor,
                        },
                        (ArithOp::Divide, Some(divisor)) => Shape::ColumnQuotient {
                            column,
                            width,
                            literal,
                            divisor,
                        },
                        _ => Shape::ColumnOpLiteral {
                            column,
                            op: *op,
                            width,
                            literal,
                        },
                    }
                }
                _ => Shape::Tree,
            },
            Node::ToTimestampLtz { n, per } => match **n {
                Node::Column(column, Carrier::Int) => Shape::TimestampOfColumn { column, per: *per },
                _ => Shape::Tree,
            },
            _ => Shape::Tree,
        }
    }
}

impl IntExpr {
    /// `e` as an integer expression, when every node of it is one.
    pub(crate) fn of(e: &BoundExpr) -> Option<Self> {
        let root = Node::of(e)?;
        Some(Self {
            carrier: Carrier::of(&e.ty().kind)?,
            shape: Shape::of(&root),
            root,
        })
    }

    /// The root's value: in one step for the common shapes, else by the tree.
    #[inline(always)]
    fn eval(&self, row: &[Value]) -> Result<Option<i64>, DivisionByZero> {
        match self.shape {
            Shape::ColumnOpLiteral {
                column,
                op,
                width,
                literal,
            } => match row.get(column) {
                Some(Value::Int(x)) => Ok(Some(
                    width.wrap(checked_int_arith(op, *x, literal).ok_or(DivisionByZero)?),
                )),
                // A NULL operand: the literal is evaluated too, and cannot fail.
                _ => Ok(None),
            },
            // The literal is at least 2: no division by zero, no overflow (`MIN / -1`), and
            // Rust's `%` and `/` truncate as Java's do.
            Shape::ColumnRemainder {
                column,
                width,
                literal,
                divisor,
            } => Ok(match row.get(column) {
                Some(Value::Int(x)) => Some(width.wrap(divisor.remainder(*x).unwrap_or(*x % literal))),
                _ => None,
            }),
            Shape::ColumnQuotient {
                column,
                width,
                literal,
                divisor,
            } => Ok(match row.get(column) {
                Some(Value::Int(x)) => Some(width.wrap(divisor.quotient(*x).unwrap_or(*x / literal))),
                _ => None,
            }),
            // Whole milliseconds, as in the tree.
            Shape::TimestampOfColumn { column, per } => Ok(match row.get(column) {
                Some(Value::Int(n)) => n.checked_mul(per),
                _ => None,
            }),
            Shape::Tree => self.root.eval(row),
        }
    }

    /// Whether the expression only reads a column or is a literal (nothing to compute).
    pub(crate) fn is_leaf(&self) -> bool {
        matches!(self.root, Node::Column(..) | Node::Literal(_))
    }

    /// Evaluates into `row[slot]` (a computed column of the row it reads; no-op past the
    /// row's end). The value goes from registers into the slot: passed back as a
    /// `Result<Value>` it crossed the stack in pieces and was read back whole, a stalled load.
    #[inline(always)]
    pub fn store(&self, row: &mut [Value], slot: usize) -> Result<(), EvalError> {
        match self.eval(row) {
            Ok(v) => {
                if let Some(s) = row.get_mut(slot) {
                    set_value(s, self.carrier.value(v));
                }
                Ok(())
            }
            Err(DivisionByZero) => Err(division_by_zero()),
        }
    }

    /// [`store`](Self::store) into slot `slot` of every row of `items` (`row(item)` is an
    /// item's row), in order. The shape is matched once for the batch, not once per row: a
    /// loop per shape. On a division by zero, the index of the item that failed (the ones
    /// before it are stored).
    pub fn store_each<R>(
        &self,
        items: &mut [R],
        slot: usize,
        row: impl Fn(&mut R) -> &mut Row,
    ) -> Result<(), usize> {
        // The carrier is matched once for the batch too: per row, it was about 7 instructions
        // a column.
        match self.carrier {
            Carrier::Int => self.store_shaped(items, slot, row, Value::Int),
            Carrier::Timestamp => self.store_shaped(items, slot, row, Value::Timestamp),
        }
    }

    /// `store_each` for one carrier (`make` makes its values): a loop per shape.
    #[inline(always)]
    fn store_shaped<R>(
        &self,
        items: &mut [R],
        slot: usize,
        row: impl Fn(&mut R) -> &mut Row,
        make: impl Fn(i64) -> Value + Copy,
    ) -> Result<(), usize> {
        match self.shape {
            Shape::ColumnOpLiteral { .. } => self.store_loop(items, slot, row, make),
            Shape::ColumnRemainder { .. } => self.store_loop(items, slot, row, make),
            Shape::ColumnQuotient { .. } => self.store_loop(items, slot, row, make),
            Shape::TimestampOfColumn { .. } => self.store_loop(items, slot, row, make),
            Shape::Tree => self.store_loop(items, slot, row, make),
        }
    }

    /// `store_each`'s loop, inlined into each arm so the arm's shape and carrier are known
    /// inside it.
    #[inline(always)]
    fn store_loop<R>(
        &self,
        items: &mut [R],
        slot: usize,
        row: impl Fn(&mut R) -> &mut Row,
        make: impl Fn(i64) -> Value + Copy,
    ) -> Result<(), usize> {
        for (i, item) in items.iter_mut().enumerate() {
            let r = row(item);
            match self.eval(r) {
                Ok(v) => {
                    if let Some(s) = r.get_mut(slot) {
                        // Not `map_or(Value::Null, ..)`: its unused default was dropped
                        // out of line, 28 instructions a row.
                        set_computed(
                            s,
                            match v {
                                Some(i) => make(i),
                                None => Value::Null,
                            },
                        );
                    }
                }
                Err(DivisionByZero) => return Err(i),
            }
        }
        Ok(())
    }

    /// The expression's value for `row` (what [`BoundExpr::eval`] gives).
    #[inline]
    pub(crate) fn value(&self, row: &[Value]) -> Result<Value, EvalError> {
        match self.eval(row) {
            Ok(v) => Ok(self.carrier.value(v)),
            Err(DivisionByZero) => Err(division_by_zero()),
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::expr::EvalContext;
    use crate::types::DataType;

    const INT_KINDS: [TypeKind; 4] = [
        TypeKind::TinyInt,
        TypeKind::SmallInt,
        TypeKind::Int,
        TypeKind::BigInt,
    ];
    const OPS: [ArithOp; 5] = [
        ArithOp::Plus,
        ArithOp::Minus,
        ArithOp::Multiply,
        ArithOp::Divide,
        ArithOp::Modulo,
    ];

    /// Rows of three integer columns (any of them NULL) and a timestamp column.
    fn row() -> impl Strategy<Value = Vec<Value>> {
        let int = prop_oneof![
            1 => Just(Value::Null),
            2 => (-3i64..=3).prop_map(Value::Int),
            2 => any::<i64>().prop_map(Value::Int),
        ];
        (proptest::collection::vec(int, 3), any::<i64>()).prop_map(|(mut r, t)| {
            r.push(Value::Timestamp(t));
            r
        })
    }

    /// Integer expressions of any of the integer types over columns 0..3 and literals.
    fn int_expr() -> impl Strategy<Value = BoundExpr> {
        let leaf = prop_oneof![
            (0usize..3, 0usize..4).prop_map(|(index, k)| BoundExpr::Column {
                index,
                ty: DataType::new(INT_KINDS[k].clone()),
            }),
            (
                prop_oneof![
                    Just(None),
                    (-3i64..=3).prop_map(Some),
                    any::<i64>().prop_map(Some)
                ],
                0usize..4
            )
                .prop_map(|(v, k)| BoundExpr::Literal {
                    value: v.map_or(Value::Null, Value::Int),
                    ty: DataType::new(INT_KINDS[k].clone()),
                }),
        ];
        leaf.prop_recursive(4, 16, 2, |inner| {
            (inner.clone(), inner, 0usize..5, 0usize..4).prop_map(|(a, b, op, k)| BoundExpr::Call {
                func: ScalarFunc::Arith(OPS[op]),
                args: vec![a, b],
                ty: DataType::new(INT_KINDS[k].clone()),
            })
        })
    }

    fn to_timestamp_ltz(n: BoundExpr, precision: i64) -> BoundExpr {
        BoundExpr::Call {
            func: ScalarFunc::Time(TimeFunc::ToTimestampLtz),
            args: vec![
                n,
                BoundExpr::Literal {
                    value: Value::Int(precision),
                    ty: DataType::new(TypeKind::Int),
                },
            ],
            ty: DataType::new(TypeKind::TimestampLtz(3)),
        }
    }

    proptest! {
        /// The oracle is the general evaluator: same values, NULLs and errors.
        #[test]
        fn integer_trees_evaluate_as_the_general_evaluator(e in int_expr(), row in row(), ltz in any::<bool>(), precision in 0i64..=3) {
            let e = if ltz { to_timestamp_ltz(e, precision) } else { e };
            let int = IntExpr::of(&e).expect("an integer tree");
            let general = e.eval(&row, &EvalContext::default());
            prop_assert_eq!(&int.value(&row), &general);
            let mut stored = row.clone();
            let slot = stored.len() - 1;
            match int.store(&mut stored, slot) {
                Ok(()) => prop_assert_eq!(Ok(stored[slot].clone()), general),
                Err(err) => prop_assert_eq!(Err(err), general),
            }
            prop_assert_eq!(&e.compile().eval(&row, &EvalContext::default()), &e.eval(&row, &EvalContext::default()));
        }
    }

    proptest! {
        /// Storing into a batch of rows is storing into each row in order: same slots, and
        /// the first row that fails is the one named (the rows before it are stored).
        #[test]
        fn a_batch_stores_as_each_row_does(
            e in int_expr(),
            rows in proptest::collection::vec(row(), 0..12),
            ltz in any::<bool>(),
            precision in 0i64..=3,
        ) {
            let e = if ltz { to_timestamp_ltz(e, precision) } else { e };
            let int = IntExpr::of(&e).expect("an integer tree");
            let slot = 3;
            let mut one_by_one = rows.clone();
            let mut first_failure = None;
            for (i, r) in one_by_one.iter_mut().enumerate() {
                if int.store(r, slot).is_err() {
                    first_failure = Some(i);
                    break;
                }
            }
            let mut batch: Vec<(u8, Row)> = rows.into_iter().map(|r| (0, r)).collect();
            let got = int.store_each(&mut batch, slot, |(_, r)| r);
            prop_assert_eq!(got.err(), first_failure);
            let stored: Vec<Row> = batch.into_iter().map(|(_, r)| r).collect();
            prop_assert_eq!(stored, one_by_one);
        }
    }

    proptest! {
        /// `EXTRACT(unit FROM ts)` of a TIMESTAMP column (and of an integer tree made a
        /// timestamp) equals the general evaluator for every unit; of a TIMESTAMP_LTZ (which
        /// needs the session's zone) it is no integer tree.
        #[test]
        fn extract_of_a_timestamp_evaluates_as_the_general_evaluator(
            t in proptest::option::of(prop_oneof![any::<i64>(), -100_000_000_000_000_000i64..100_000_000_000_000_000]),
            unit in 0usize..19,
            ltz in any::<bool>(),
        ) {
            let unit = [
                TimeUnit::Year, TimeUnit::Quarter, TimeUnit::Month, TimeUnit::Week, TimeUnit::Day,
                TimeUnit::Hour, TimeUnit::Minute, TimeUnit::Second, TimeUnit::Millisecond,
                TimeUnit::Microsecond, TimeUnit::Nanosecond, TimeUnit::DayOfWeek,
                TimeUnit::DayOfYear, TimeUnit::Epoch, TimeUnit::Decade, TimeUnit::Century,
                TimeUnit::Millennium, TimeUnit::IsoDayOfWeek, TimeUnit::IsoYear,
            ][unit];
            let ty = if ltz { TypeKind::TimestampLtz(3) } else { TypeKind::Timestamp(3) };
            let e = BoundExpr::Call {
                func: ScalarFunc::Time(TimeFunc::Extract(unit)),
                args: vec![BoundExpr::Column { index: 0, ty: DataType::new(ty) }],
                ty: DataType::new(TypeKind::BigInt),
            };
            let row = vec![t.map_or(Value::Null, Value::Timestamp)];
            let ctx = EvalContext::default();
            prop_assert_eq!(IntExpr::of(&e).is_some(), !ltz);
            prop_assert_eq!(e.compile().eval(&row, &ctx), e.eval(&row, &ctx), "{:?}", e);
        }
    }

    #[test]
    fn other_shapes_are_not_integer_trees() {
        let double = BoundExpr::Column {
            index: 0,
            ty: DataType::new(TypeKind::Double),
        };
        assert!(IntExpr::of(&double).is_none());
        let timestamp = BoundExpr::Column {
            index: 3,
            ty: DataType::new(TypeKind::Timestamp(3)),
        };
        // A timestamp operand of integer arithmetic is not a shape of this module.
        let sum = BoundExpr::Call {
            func: ScalarFunc::Arith(ArithOp::Plus),
            args: vec![timestamp.clone(), timestamp],
            ty: DataType::new(TypeKind::BigInt),
        };
        assert!(IntExpr::of(&sum).is_none());
    }

    #[test]
    fn storing_past_the_row_end_changes_nothing() {
        let e = to_timestamp_ltz(
            BoundExpr::Column {
                index: 0,
                ty: DataType::new(TypeKind::BigInt),
            },
            3,
        );
        let int = IntExpr::of(&e).expect("an integer tree");
        let mut row = vec![Value::Int(5)];
        int.store(&mut row, 7).expect("no error");
        assert_eq!(row, vec![Value::Int(5)]);
    }
}
