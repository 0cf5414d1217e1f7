//! The `datagen` connector: rows of sequence and random values, with Flink's options.
//!
//! - `rows-per-second` (default 10000, over all subtasks), `number-of-rows` (bounded when set).
//! - Per physical column `fields.<col>.kind`: `random` (default) or `sequence` (`start` to
//!   `end` inclusive; the table ends when a sequence does, or at `number-of-rows` if that
//!   comes first, as Flink). Random values take `min`/`max` (numbers; default the type's
//!   range, for FLOAT/DOUBLE Java's `MIN_VALUE..MAX_VALUE` and for DECIMAL(p, s)
//!   `0..10^(p-s)`, the defaults of Flink 2.3's `RandomGeneratorVisitor`), `length` (strings
//!   and bytes, default 100, at most the type's length; collections, default 3), `var-len` (a
//!   random length up to `length`), `max-past` (timestamps and dates: up to that far before
//!   the job started, default 0), `null-rate` (default 0).
//! - Row `i` is a pure function of `i` (spate_connectors' generator), so the output does not
//!   depend on the parallelism and survives restore and rescaling. Random strings are hex
//!   digits as in Flink; the random values themselves differ from Flink's (another generator,
//!   and a fixed seed per table so runs are reproducible).

use std::sync::Arc;

use spate_connectors::Emitter;
use spate_connectors::datagen::{DatagenSource, IndexGenerator};
use spate_engine::source::SeededRng;
use spate_engine::{DataStream, EngineError, SourceContext, SourceStatus, StreamEnvironment, Timestamp};

use super::columns::Columns;
use super::opts::Options;
use super::source::{RowOut, RowReader, add_source};
use super::{ConnectorContext, ScanPlan};
use crate::error::SqlError;
use crate::row_memory::row_in_place_with;
use crate::types::{DataType, TypeKind};
use crate::value::{Row, Value};

/// A generator source whose items become rows (`None`: no row for that index). `to_row` is a
/// type parameter, not a boxed closure: it is called once per row, and inlined it hands the
/// row on in registers.
#[derive(Clone)]
pub(crate) struct GenReader<G: IndexGenerator, F> {
    pub(crate) source: DatagenSource<G>,
    pub(crate) to_row: F,
}

impl<G: IndexGenerator, F> RowReader for GenReader<G, F>
where
    G::Item: Send,
    F: Fn(G::Item) -> Option<Row> + Clone + Send + 'static,
{
    fn open(&mut self, ctx: &SourceContext) -> Result<usize, EngineError> {
        self.source.open_subtask(ctx);
        Ok(1)
    }

    fn poll(&mut self, out: &mut RowOut<'_>) -> Result<SourceStatus, EngineError> {
        Ok(self.source.poll_into(&mut ItemsToRows {
            to_row: &self.to_row,
            out,
        }))
    }

    fn snapshot(&mut self, _checkpoint_id: u64) -> Result<Vec<u8>, EngineError> {
        Ok(self.source.position())
    }

    fn restore(&mut self, ctx: &SourceContext, positions: &[Vec<u8>]) -> Result<(), EngineError> {
        Ok(self.source.restore(ctx, positions)?)
    }
}

/// The generator's items, turned into rows on their way out.
struct ItemsToRows<'a, 'o, F> {
    to_row: &'a F,
    out: &'a mut RowOut<'o>,
}

impl<I, F: Fn(I) -> Option<Row>> Emitter<I> for ItemsToRows<'_, '_, F> {
    fn set_split(&mut self, split: usize) {
        self.out.set_split(split);
    }

    #[inline]
    fn emit(&mut self, item: I, timestamp: Timestamp) {
        if let Some(row) = (self.to_row)(item) {
            self.out.push(row, timestamp);
        }
    }

    #[inline]
    fn remaining(&self) -> usize {
        self.out.remaining()
    }
}

/// How one column is generated.
#[derive(Debug, Clone)]
enum FieldGen {
    /// `start + index`, as the column's type.
    Sequence { start: Seq },
    /// Random values.
    Random(RandomGen),
}

#[derive(Debug, Clone, Copy)]
enum Seq {
    Int(i64),
    Float(f64),
    Decimal { unscaled: i128, step: i128 },
    String(i64),
}

#[derive(Debug, Clone)]
struct RandomGen {
    ty: DataType,
    null_rate: f64,
    min: Option<f64>,
    max: Option<f64>,
    length: Option<u64>,
    var_len: bool,
    max_past_ms: i64,
}

/// What the whole row generator needs (shared by every subtask).
#[derive(Debug)]
struct RowGen {
    /// Per column of the table's rows: its generator, `None` for a column left `NULL`
    /// (computed and metadata columns).
    columns: Vec<Option<FieldGen>>,
    /// Whether a random field is a date or timestamp: those are "now" (minus up to
    /// `max-past`) when the row is made, as Flink's generator reads the clock per row, so a
    /// watermark over such a column advances.
    reads_clock: bool,
}

impl RowGen {
    #[inline]
    fn row(&self, index: u64, rng: &mut SeededRng) -> Row {
        let now_ms = if self.reads_clock {
            spate_engine::clock::now_millis()
        } else {
            0
        };
        // Each value is written in place: no row of NULLs first, no copy of it after. The
        // integer sequence and the NULL are stored straight into their slots: returned from
        // the `match` as a `Value`, they were built on the stack in 8-byte halves and copied
        // into the row in a 16-byte load that stalled (see `row_memory`).
        row_in_place_with(
            self.columns.len(),
            rng,
            |rng, c, slot| match self.columns.get(c) {
                Some(Some(FieldGen::Sequence { start: Seq::Int(s) })) => {
                    slot.write(Value::Int(s.wrapping_add(sequence_index(index))));
                }
                Some(Some(FieldGen::Sequence { start })) => {
                    slot.write(sequence_value(*start, index));
                }
                Some(Some(FieldGen::Random(r))) => {
                    slot.write(r.value(rng, now_ms));
                }
                Some(None) | None => {
                    slot.write(Value::Null);
                }
            },
            |_| (),
        )
    }
}

/// Whether random values of `ty` are relative to the clock (dates and timestamps, also
/// inside arrays, maps and rows).
fn relative_to_clock(ty: &DataType) -> bool {
    match &ty.kind {
        TypeKind::Date | TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_) => true,
        TypeKind::Array(elem) | TypeKind::Multiset(elem) => relative_to_clock(elem),
        TypeKind::Map(k, v) => relative_to_clock(k) || relative_to_clock(v),
        TypeKind::Row(fields) => fields.iter().any(|f| relative_to_clock(&f.ty)),
        _ => false,
    }
}

/// The `index`th step of a sequence as the signed step count the values are made from.
#[inline(always)]
fn sequence_index(index: u64) -> i64 {
    i64::try_from(index).unwrap_or(i64::MAX)
}

fn sequence_value(start: Seq, index: u64) -> Value {
    let i = sequence_index(index);
    match start {
        Seq::Int(s) => Value::Int(s.wrapping_add(i)),
        Seq::Float(s) => Value::Float(s + i as f64),
        Seq::Decimal { unscaled, step } => {
            Value::Decimal(unscaled.wrapping_add(step.wrapping_mul(i128::from(i))))
        }
        Seq::String(s) => Value::String(s.wrapping_add(i).to_string()),
    }
}

fn unit(rng: &mut SeededRng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A uniform integer in `lo..=hi`.
fn int_between(rng: &mut SeededRng, lo: i64, hi: i64) -> i64 {
    if hi <= lo {
        return lo;
    }
    let span = (hi as i128 - lo as i128 + 1) as u128;
    let r = if span > u128::from(u64::MAX) {
        u128::from(rng.next_u64())
    } else {
        u128::from(rng.next_u64()) % span
    };
    (lo as i128 + r as i128) as i64
}

fn int_range(kind: &TypeKind) -> (i64, i64) {
    match kind {
        TypeKind::TinyInt => (i8::MIN.into(), i8::MAX.into()),
        TypeKind::SmallInt => (i16::MIN.into(), i16::MAX.into()),
        TypeKind::Int => (i32::MIN.into(), i32::MAX.into()),
        _ => (i64::MIN, i64::MAX),
    }
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl RandomGen {
    fn nested(ty: &DataType) -> Self {
        Self {
            ty: ty.clone(),
            null_rate: 0.0,
            min: None,
            max: None,
            length: None,
            var_len: false,
            max_past_ms: 0,
        }
    }

    fn len(&self, rng: &mut SeededRng, default: u64, type_max: Option<u32>) -> usize {
        let mut len = self.length.unwrap_or(default);
        if let Some(m) = type_max {
            len = len.min(u64::from(m));
        }
        if self.var_len && len > 0 {
            len = 1 + rng.below(len);
        }
        usize::try_from(len).unwrap_or(usize::MAX)
    }

    fn value(&self, rng: &mut SeededRng, now_ms: i64) -> Value {
        if self.null_rate > 0.0 && unit(rng) < self.null_rate {
            return Value::Null;
        }
        match &self.ty.kind {
            TypeKind::Boolean => Value::Boolean(rng.below(2) == 1),
            k @ (TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt) => {
                let (lo, hi) = int_range(k);
                let lo = self.min.map_or(lo, |m| m as i64);
                let hi = self.max.map_or(hi, |m| m as i64);
                Value::Int(int_between(rng, lo, hi))
            }
            TypeKind::Float | TypeKind::Double => {
                let (dlo, dhi) = if matches!(self.ty.kind, TypeKind::Float) {
                    (f64::from(f32::from_bits(1)), f64::from(f32::MAX))
                } else {
                    (f64::from_bits(1), f64::MAX)
                };
                let (lo, hi) = (self.min.unwrap_or(dlo), self.max.unwrap_or(dhi));
                let u = unit(rng);
                // Interpolated so the span never overflows.
                let v = lo * (1.0 - u) + hi * u;
                Value::Float(if matches!(self.ty.kind, TypeKind::Float) {
                    f64::from(v as f32)
                } else {
                    v
                })
            }
            TypeKind::Decimal { precision, scale } => {
                // Flink's defaults are Double.MIN_VALUE..Double.MAX_VALUE, clamped to the type:
                // non-negative values below 10^(precision - scale).
                let bound = 10f64.powi(*precision as i32 - *scale as i32);
                let (lo, hi) = (
                    self.min.unwrap_or(0.0).max(-bound),
                    self.max.unwrap_or(bound).min(bound),
                );
                let u = unit(rng);
                let v = lo * (1.0 - u) + hi * u;
                crate::decimal::from_f64(v, *precision, *scale).map_or(Value::Null, Value::Decimal)
            }
            TypeKind::Char(n) => {
                let len = self.len(rng, u64::from(*n), Some(*n));
                Value::String((0..len).map(|_| HEX[rng.below(16) as usize] as char).collect())
            }
            TypeKind::Varchar(n) => {
                let len = self.len(rng, 100, Some(*n));
                Value::String((0..len).map(|_| HEX[rng.below(16) as usize] as char).collect())
            }
            TypeKind::Binary(n) | TypeKind::Varbinary(n) => {
                let default = if matches!(self.ty.kind, TypeKind::Binary(_)) {
                    u64::from(*n)
                } else {
                    100
                };
                let len = self.len(rng, default, Some(*n));
                Value::Bytes((0..len).map(|_| rng.next_u64() as u8).collect())
            }
            TypeKind::Date => {
                let past_days = self.max_past_ms / 86_400_000;
                let today = now_ms.div_euclid(86_400_000);
                let back = if past_days > 0 {
                    rng.below(past_days as u64 + 1) as i64
                } else {
                    0
                };
                Value::Date(i32::try_from(today - back).unwrap_or(0))
            }
            TypeKind::Time(_) => Value::Time((rng.below(86_400_000) as i64) * 1_000_000),
            TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_) => {
                let back = if self.max_past_ms > 0 {
                    rng.below(self.max_past_ms as u64 + 1) as i64
                } else {
                    0
                };
                Value::Timestamp((now_ms - back).saturating_mul(1000))
            }
            // Flink's default ranges: any number of milliseconds, 0 to 120000 months.
            TypeKind::IntervalDayTime => {
                let lo = self.min.map_or(i64::MIN, |m| m as i64);
                let hi = self.max.map_or(i64::MAX, |m| m as i64);
                Value::IntervalMillis(int_between(rng, lo, hi))
            }
            TypeKind::IntervalYearMonth => {
                let lo = self.min.map_or(0, |m| m as i64);
                let hi = self.max.map_or(120_000, |m| m as i64);
                Value::IntervalMonths(i32::try_from(int_between(rng, lo, hi)).unwrap_or(0))
            }
            TypeKind::Array(elem) | TypeKind::Multiset(elem) => {
                let len = self.len(rng, 3, None);
                let g = Self::nested(elem);
                Value::Array((0..len).map(|_| g.value(rng, now_ms)).collect())
            }
            TypeKind::Map(k, v) => {
                let len = self.len(rng, 3, None);
                let (gk, gv) = (Self::nested(k), Self::nested(v));
                Value::Map(
                    (0..len)
                        .map(|_| (gk.value(rng, now_ms), gv.value(rng, now_ms)))
                        .collect(),
                )
            }
            TypeKind::Row(fields) => Value::Row(
                fields
                    .iter()
                    .map(|f| Self::nested(&f.ty).value(rng, now_ms))
                    .collect(),
            ),
        }
    }
}

/// Parses a sequence bound of a column of type `ty`.
fn seq_bound(options: Options<'_>, key: &str, ty: &DataType) -> Result<Seq, SqlError> {
    let text = options
        .get(key)
        .ok_or_else(|| options.invalid(key, "a sequence field needs it"))?
        .trim();
    let bad = || options.invalid(key, format!("'{text}' is not a valid {} sequence bound", ty.kind));
    Ok(match &ty.kind {
        TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt => {
            let v: i64 = text.parse().map_err(|_| bad())?;
            let (lo, hi) = int_range(&ty.kind);
            if v < lo || v > hi {
                return Err(options.invalid(key, format!("{v} is out of the range of {}", ty.kind)));
            }
            Seq::Int(v)
        }
        TypeKind::Float | TypeKind::Double => Seq::Float(text.parse().map_err(|_| bad())?),
        TypeKind::Decimal { precision, scale } => Seq::Decimal {
            unscaled: crate::decimal::parse(text, *precision, *scale).ok_or_else(bad)?,
            step: crate::decimal::pow10(*scale),
        },
        TypeKind::Char(_) | TypeKind::Varchar(_) => Seq::String(text.parse().map_err(|_| bad())?),
        other => {
            return Err(options.invalid(
                &key.replace(".start", ".kind").replace(".end", ".kind"),
                format!("a sequence cannot generate {other} values"),
            ));
        }
    })
}

/// Number of values of the sequence `start..=end`.
fn seq_len(options: Options<'_>, key: &str, start: Seq, end: Seq) -> Result<u64, SqlError> {
    let span = match (start, end) {
        (Seq::Int(a), Seq::Int(b)) | (Seq::String(a), Seq::String(b)) => i128::from(b) - i128::from(a),
        (Seq::Float(a), Seq::Float(b)) => (b - a).floor() as i128,
        (Seq::Decimal { unscaled: a, step }, Seq::Decimal { unscaled: b, .. }) => (b - a) / step,
        _ => return Err(options.invalid(key, "start and end have different types")),
    };
    if span < 0 {
        return Err(options.invalid(key, "the end of a sequence must not be below its start"));
    }
    Ok(u64::try_from(span + 1).unwrap_or(u64::MAX))
}

fn field(options: Options<'_>, col: &str, ty: &DataType) -> Result<(FieldGen, Option<u64>), SqlError> {
    let key = |opt: &str| format!("fields.{col}.{opt}");
    let kind = options.get(&key("kind")).unwrap_or("random");
    if kind == "sequence" {
        let start = seq_bound(options, &key("start"), ty)?;
        let end = seq_bound(options, &key("end"), ty)?;
        let len = seq_len(options, &key("end"), start, end)?;
        return Ok((FieldGen::Sequence { start }, Some(len)));
    }
    if kind != "random" {
        return Err(options.invalid(&key("kind"), format!("'{kind}' is not 'random' or 'sequence'")));
    }
    let null_rate = options.f64(&key("null-rate"))?.unwrap_or(0.0);
    if !(0.0..=1.0).contains(&null_rate) {
        return Err(options.invalid(&key("null-rate"), "must be between 0 and 1"));
    }
    let max_past_ms = match options.get(&key("max-past")) {
        None => 0,
        Some(_) => {
            let d = options.duration(&key("max-past"))?.unwrap_or_default();
            i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
        }
    };
    let g = RandomGen {
        ty: ty.clone(),
        null_rate,
        min: options.f64(&key("min"))?,
        max: options.f64(&key("max"))?,
        length: options.u64(&key("length"))?,
        var_len: options.bool(&key("var-len"))?.unwrap_or(false),
        max_past_ms,
    };
    if let (Some(lo), Some(hi)) = (g.min, g.max)
        && lo > hi
    {
        return Err(options.invalid(&key("min"), format!("min {lo} is above max {hi}")));
    }
    Ok((FieldGen::Random(g), None))
}

/// Adds a `datagen` table's source.
pub(crate) fn scan(
    env: &StreamEnvironment,
    plan: &ScanPlan,
    ctx: &ConnectorContext,
    parallelism: Option<usize>,
) -> Result<DataStream<Row>, SqlError> {
    let options = Options::new(&plan.table);
    let columns = Columns::of(&plan.table);
    let mut fields = Vec::new();
    let mut count = options.u64("number-of-rows")?;
    for (index, f) in &columns.physical {
        let (g, len) = field(options, &f.name, &f.ty)?;
        if let Some(len) = len {
            count = Some(count.map_or(len, |c| c.min(len)));
        }
        fields.push((*index, g));
    }
    let rows_per_second = options.u64("rows-per-second")?.unwrap_or(10_000);
    if rows_per_second == 0 {
        return Err(options.invalid("rows-per-second", "must be at least 1"));
    }
    let reads_clock = fields
        .iter()
        .any(|(_, g)| matches!(g, FieldGen::Random(r) if relative_to_clock(&r.ty)));
    let mut per_column: Vec<Option<FieldGen>> = vec![None; columns.width];
    for (index, g) in fields {
        if let Some(slot) = per_column.get_mut(index) {
            *slot = Some(g);
        }
    }
    let rowgen = Arc::new(RowGen {
        columns: per_column,
        reads_clock,
    });
    // A fixed seed per table: reproducible runs (Flink's datagen is not seeded).
    let seed = options
        .table_name()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
        });
    let make = move |i: u64, rng: &mut SeededRng| rowgen.row(i, rng);
    let mut source =
        DatagenSource::random(count.unwrap_or(u64::MAX), seed, make).with_rows_per_second(rows_per_second);
    if count.is_none() {
        source = source.unbounded();
    }
    let reader = GenReader { source, to_row: Some };
    add_source(env, plan, ctx, reader, parallelism)
}
