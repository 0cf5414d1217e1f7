//! Arrow columns read from Parquet files back into rows: a column at a time, matched to the
//! table's columns by name, converted from whatever the file stores when the conversion loses
//! nothing a reader would expect (any integer width into an integer column, any timestamp unit,
//! a decimal of another scale, INT96 timestamps as UTC).

use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal32Type, Decimal64Type, Decimal128Type, Float16Type, Float32Type,
    Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, Time32MillisecondType, Time32SecondType,
    Time64MicrosecondType, Time64NanosecondType, TimestampMicrosecondType, TimestampMillisecondType,
    TimestampNanosecondType, TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType as ArrowType, TimeUnit};

use crate::format::FormatField;
use crate::types::{DataType, TypeKind};
use crate::value::{Row, Value};

/// Turns record batches of a table's files into rows (see the module docs).
#[derive(Debug, Clone)]
pub(crate) struct ParquetRowDecoder {
    /// The columns read, and where each goes in the row.
    fields: Vec<(FormatField, usize)>,
    width: usize,
}

impl ParquetRowDecoder {
    /// Rows of `width` columns; `fields[i]` is read into column `targets[i]`.
    pub(crate) fn new(fields: Vec<FormatField>, targets: &[usize], width: usize) -> Self {
        Self {
            fields: fields.into_iter().zip(targets.iter().copied()).collect(),
            width,
        }
    }

    /// The names of the file columns read (for the reader's projection).
    pub(crate) fn column_names(&self) -> impl Iterator<Item = &str> {
        self.fields.iter().map(|(f, _)| f.name.as_str())
    }

    /// Appends the batch's rows to `out`.
    pub(crate) fn decode(&self, batch: &RecordBatch, out: &mut Vec<Row>) -> Result<(), String> {
        let n = batch.num_rows();
        let start = out.len();
        out.extend((0..n).map(|_| vec![Value::Null; self.width]));
        let rows = &mut out[start..];
        for (field, target) in &self.fields {
            // A column the file does not have stays NULL.
            let Some(column) = batch.column_by_name(&field.name) else {
                continue;
            };
            let values =
                column_values(column, &field.ty).map_err(|e| format!("column {}: {e}", field.name))?;
            for (row, v) in rows.iter_mut().zip(values) {
                row[*target] = v;
            }
        }
        Ok(())
    }
}

fn cannot(array: &dyn Array, ty: &DataType) -> String {
    format!(
        "the file stores {}, which cannot be read as {ty}",
        array.data_type()
    )
}

/// Values of a primitive array, NULLs included, each made by `f`.
fn each<T: arrow_array::ArrowPrimitiveType>(array: &dyn Array, f: impl Fn(T::Native) -> Value) -> Vec<Value> {
    let a = array.as_primitive::<T>();
    (0..a.len())
        .map(|i| if a.is_null(i) { Value::Null } else { f(a.value(i)) })
        .collect()
}

fn rescale(d: i128, from: i8, to: u32) -> Value {
    let to = i32::try_from(to).unwrap_or(i32::MAX);
    let diff = to - i32::from(from);
    let factor = 10i128.checked_pow(diff.unsigned_abs());
    match factor {
        Some(f) if diff >= 0 => d.checked_mul(f).map_or(Value::Null, Value::Decimal),
        Some(f) => Value::Decimal(d / f),
        None => Value::Null,
    }
}

fn integers(array: &dyn Array, ty: &DataType) -> Result<Vec<Value>, String> {
    Ok(match array.data_type() {
        ArrowType::Int8 => each::<Int8Type>(array, |v| Value::Int(v.into())),
        ArrowType::Int16 => each::<Int16Type>(array, |v| Value::Int(v.into())),
        ArrowType::Int32 => each::<Int32Type>(array, |v| Value::Int(v.into())),
        ArrowType::Int64 => each::<Int64Type>(array, Value::Int),
        ArrowType::UInt8 => each::<UInt8Type>(array, |v| Value::Int(v.into())),
        ArrowType::UInt16 => each::<UInt16Type>(array, |v| Value::Int(v.into())),
        ArrowType::UInt32 => each::<UInt32Type>(array, |v| Value::Int(v.into())),
        ArrowType::UInt64 => each::<UInt64Type>(array, |v| Value::Int(v as i64)),
        _ => return Err(cannot(array, ty)),
    })
}

fn timestamps(array: &dyn Array, ty: &DataType) -> Result<Vec<Value>, String> {
    let micros = |f: fn(i64) -> i64| move |v: i64| Value::Timestamp(f(v));
    Ok(match array.data_type() {
        ArrowType::Timestamp(TimeUnit::Second, _) => {
            each::<TimestampSecondType>(array, micros(|v| v.saturating_mul(1_000_000)))
        }
        ArrowType::Timestamp(TimeUnit::Millisecond, _) => {
            each::<TimestampMillisecondType>(array, micros(|v| v.saturating_mul(1000)))
        }
        ArrowType::Timestamp(TimeUnit::Microsecond, _) => {
            each::<TimestampMicrosecondType>(array, micros(|v| v))
        }
        ArrowType::Timestamp(TimeUnit::Nanosecond, _) => {
            each::<TimestampNanosecondType>(array, micros(|v| v.div_euclid(1000)))
        }
        _ => return Err(cannot(array, ty)),
    })
}

/// The values of `array` as the table type `ty`.
pub(crate) fn column_values(array: &ArrayRef, ty: &DataType) -> Result<Vec<Value>, String> {
    let a: &dyn Array = array.as_ref();
    Ok(match &ty.kind {
        TypeKind::Boolean => match a.data_type() {
            ArrowType::Boolean => {
                let b = a.as_boolean();
                (0..b.len())
                    .map(|i| {
                        if b.is_null(i) {
                            Value::Null
                        } else {
                            Value::Boolean(b.value(i))
                        }
                    })
                    .collect()
            }
            _ => return Err(cannot(a, ty)),
        },
        TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int | TypeKind::BigInt => integers(a, ty)?,
        TypeKind::Float | TypeKind::Double => match a.data_type() {
            ArrowType::Float16 => each::<Float16Type>(a, |v| Value::Float(v.to_f64())),
            ArrowType::Float32 => each::<Float32Type>(a, |v| Value::Float(v.into())),
            ArrowType::Float64 => each::<Float64Type>(a, Value::Float),
            _ => return Err(cannot(a, ty)),
        },
        TypeKind::Decimal { scale, .. } => {
            let to = *scale;
            match a.data_type() {
                ArrowType::Decimal32(_, s) => {
                    let s = *s;
                    each::<Decimal32Type>(a, move |v| rescale(v.into(), s, to))
                }
                ArrowType::Decimal64(_, s) => {
                    let s = *s;
                    each::<Decimal64Type>(a, move |v| rescale(v.into(), s, to))
                }
                ArrowType::Decimal128(_, s) => {
                    let s = *s;
                    each::<Decimal128Type>(a, move |v| rescale(v, s, to))
                }
                ArrowType::Int32 | ArrowType::Int64 => integers(a, ty)?
                    .into_iter()
                    .map(|v| match v {
                        Value::Int(i) => rescale(i.into(), 0, to),
                        other => other,
                    })
                    .collect(),
                _ => return Err(cannot(a, ty)),
            }
        }
        TypeKind::Char(_) | TypeKind::Varchar(_) => strings(a, ty)?,
        TypeKind::Binary(_) | TypeKind::Varbinary(_) => bytes(a, ty)?
            .into_iter()
            .map(|b| b.map_or(Value::Null, Value::Bytes))
            .collect(),
        TypeKind::Date => match a.data_type() {
            ArrowType::Date32 => each::<Date32Type>(a, Value::Date),
            ArrowType::Date64 => each::<Date64Type>(a, |ms| {
                Value::Date(i32::try_from(ms.div_euclid(86_400_000)).unwrap_or(i32::MAX))
            }),
            _ => return Err(cannot(a, ty)),
        },
        TypeKind::Time(_) => match a.data_type() {
            ArrowType::Time32(TimeUnit::Second) => {
                each::<Time32SecondType>(a, |s| Value::Time(i64::from(s) * 1_000_000_000))
            }
            ArrowType::Time32(TimeUnit::Millisecond) => {
                each::<Time32MillisecondType>(a, |ms| Value::Time(i64::from(ms) * 1_000_000))
            }
            ArrowType::Time64(TimeUnit::Microsecond) => {
                each::<Time64MicrosecondType>(a, |us| Value::Time(us * 1000))
            }
            ArrowType::Time64(TimeUnit::Nanosecond) => each::<Time64NanosecondType>(a, Value::Time),
            _ => return Err(cannot(a, ty)),
        },
        TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_) => timestamps(a, ty)?,
        TypeKind::Array(element) => lists(a, ty, |child| column_values(child, element))?,
        TypeKind::Multiset(element) => multisets(a, ty, element)?,
        TypeKind::Map(key, value) => maps(a, ty, key, value)?
            .into_iter()
            .map(|m| m.map_or(Value::Null, Value::Map))
            .collect(),
        TypeKind::Row(fields) => match a.data_type() {
            ArrowType::Struct(_) => {
                let s = a.as_struct();
                let mut rows: Vec<Vec<Value>> =
                    (0..s.len()).map(|_| Vec::with_capacity(fields.len())).collect();
                for f in fields {
                    let values = match s.column_by_name(f.name.as_str()) {
                        Some(c) => column_values(c, &f.ty).map_err(|e| format!("{}: {e}", f.name))?,
                        None => vec![Value::Null; s.len()],
                    };
                    for (r, v) in rows.iter_mut().zip(values) {
                        r.push(v);
                    }
                }
                rows.into_iter()
                    .enumerate()
                    .map(|(i, r)| if s.is_null(i) { Value::Null } else { Value::Row(r) })
                    .collect()
            }
            _ => return Err(cannot(a, ty)),
        },
        TypeKind::IntervalDayTime | TypeKind::IntervalYearMonth => return Err(cannot(a, ty)),
    })
}

fn strings(a: &dyn Array, ty: &DataType) -> Result<Vec<Value>, String> {
    let text = |s: Option<&str>| s.map_or(Value::Null, |s| Value::String(s.to_string()));
    Ok(match a.data_type() {
        ArrowType::Utf8 => a.as_string::<i32>().iter().map(text).collect(),
        ArrowType::LargeUtf8 => a.as_string::<i64>().iter().map(text).collect(),
        ArrowType::Utf8View => a.as_string_view().iter().map(text).collect(),
        // Old writers store text without the UTF8 annotation.
        _ => bytes(a, ty)?
            .into_iter()
            .map(|b| {
                b.map_or(Value::Null, |b| {
                    Value::String(String::from_utf8_lossy(&b).into_owned())
                })
            })
            .collect(),
    })
}

fn bytes(a: &dyn Array, ty: &DataType) -> Result<Vec<Option<Vec<u8>>>, String> {
    let own = |b: Option<&[u8]>| b.map(<[u8]>::to_vec);
    Ok(match a.data_type() {
        ArrowType::Binary => a.as_binary::<i32>().iter().map(own).collect(),
        ArrowType::LargeBinary => a.as_binary::<i64>().iter().map(own).collect(),
        ArrowType::BinaryView => a.as_binary_view().iter().map(own).collect(),
        ArrowType::FixedSizeBinary(_) => a.as_fixed_size_binary().iter().map(own).collect(),
        _ => return Err(cannot(a, ty)),
    })
}

fn lists(
    a: &dyn Array,
    ty: &DataType,
    elements: impl Fn(&ArrayRef) -> Result<Vec<Value>, String>,
) -> Result<Vec<Value>, String> {
    let (offsets, child): (Vec<usize>, &ArrayRef) = match a.data_type() {
        ArrowType::List(_) => {
            let l = a.as_list::<i32>();
            (l.offsets().iter().map(|o| *o as usize).collect(), l.values())
        }
        ArrowType::LargeList(_) => {
            let l = a.as_list::<i64>();
            (l.offsets().iter().map(|o| *o as usize).collect(), l.values())
        }
        _ => return Err(cannot(a, ty)),
    };
    let mut items = elements(child)?.into_iter();
    let mut out = Vec::with_capacity(a.len());
    for (i, w) in offsets.windows(2).enumerate() {
        let taken: Vec<Value> = items.by_ref().take(w[1] - w[0]).collect();
        out.push(if a.is_null(i) {
            Value::Null
        } else {
            Value::Array(taken)
        });
    }
    Ok(out)
}

/// A map's entries.
type Entries = Vec<(Value, Value)>;

/// Each map's entries (`None` for a NULL map).
fn maps(
    a: &dyn Array,
    ty: &DataType,
    key: &DataType,
    value: &DataType,
) -> Result<Vec<Option<Entries>>, String> {
    let ArrowType::Map(..) = a.data_type() else {
        return Err(cannot(a, ty));
    };
    let m = a.as_map();
    let keys = column_values(m.keys(), key)?;
    let values = column_values(m.values(), value)?;
    let mut entries = keys.into_iter().zip(values);
    let offsets: Vec<usize> = m.offsets().iter().map(|o| *o as usize).collect();
    let mut out = Vec::with_capacity(m.len());
    for (i, w) in offsets.windows(2).enumerate() {
        let taken: Vec<(Value, Value)> = entries.by_ref().take(w[1] - w[0]).collect();
        out.push((!m.is_null(i)).then_some(taken));
    }
    Ok(out)
}

/// A MULTISET stored as Flink stores it (element → count), back into its elements.
fn multisets(a: &dyn Array, ty: &DataType, element: &DataType) -> Result<Vec<Value>, String> {
    let counted = maps(a, ty, element, &DataType::new(TypeKind::Int))?;
    Ok(counted
        .into_iter()
        .map(|m| match m {
            None => Value::Null,
            Some(entries) => Value::Array(
                entries
                    .into_iter()
                    .flat_map(|(k, n)| {
                        let n = match n {
                            Value::Int(n) => usize::try_from(n).unwrap_or(0),
                            _ => 0,
                        };
                        std::iter::repeat_n(k, n)
                    })
                    .collect(),
            ),
        })
        .collect())
}
