//! Rows into Arrow columns: one array per column, built a batch of rows at a time (the
//! column's values gathered by reference, nested types recursively).

use std::sync::Arc;

use arrow_array::builder::{
    BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float32Builder, Float64Builder,
    Int8Builder, Int16Builder, Int32Builder, Int64Builder, StringBuilder, Time32MillisecondBuilder,
    Time64MicrosecondBuilder,
};
use arrow_array::{ArrayRef, ListArray, MapArray, PrimitiveArray, StructArray};
use arrow_buffer::{NullBuffer, OffsetBuffer};
use arrow_schema::{DataType as ArrowType, Field, Fields};

use super::schema::{Layout, TimestampUnit, arrow_type};
use crate::types::{DataType, TypeKind};
use crate::value::Value;

/// Why a value could not be written: its column's path and what was wrong.
pub(crate) type EncodeError = String;

fn mismatch(ty: &DataType, v: &Value) -> EncodeError {
    format!("a {ty} column holds the value {v:?}")
}

/// Appends each value with `put`, NULLs as nulls.
macro_rules! primitive {
    ($builder:expr, $values:expr, $ty:expr, |$v:pat_param| $conv:expr) => {{
        let mut b = $builder;
        for value in $values {
            match value {
                Value::Null => b.append_null(),
                $v => b.append_value($conv),
                #[allow(unreachable_patterns)]
                other => return Err(mismatch($ty, other)),
            }
        }
        Ok(Arc::new(b.finish()) as ArrayRef)
    }};
}

/// The Arrow array of `values`, all of type `ty`.
pub(crate) fn array(ty: &DataType, values: &[&Value], unit: Layout) -> Result<ArrayRef, EncodeError> {
    let n = values.len();
    let values = values.iter().copied();
    match &ty.kind {
        TypeKind::Boolean => primitive!(BooleanBuilder::with_capacity(n), values, ty, |Value::Boolean(
            b,
        )| *b),
        TypeKind::TinyInt => primitive!(Int8Builder::with_capacity(n), values, ty, |Value::Int(i)| *i
            as i8),
        TypeKind::SmallInt => primitive!(Int16Builder::with_capacity(n), values, ty, |Value::Int(i)| *i
            as i16),
        TypeKind::Int => primitive!(Int32Builder::with_capacity(n), values, ty, |Value::Int(i)| *i
            as i32),
        TypeKind::BigInt => primitive!(Int64Builder::with_capacity(n), values, ty, |Value::Int(i)| *i),
        TypeKind::Float => primitive!(Float32Builder::with_capacity(n), values, ty, |Value::Float(f)| *f
            as f32),
        TypeKind::Double => primitive!(Float64Builder::with_capacity(n), values, ty, |Value::Float(f)| *f),
        TypeKind::Decimal { precision, scale } => {
            let builder = Decimal128Builder::with_capacity(n)
                .with_precision_and_scale(*precision as u8, *scale as i8)
                .map_err(|e| e.to_string())?;
            primitive!(builder, values, ty, |Value::Decimal(d)| *d)
        }
        TypeKind::Char(_) | TypeKind::Varchar(_) => {
            primitive!(
                StringBuilder::with_capacity(n, n * 16),
                values,
                ty,
                |Value::String(s)| s
            )
        }
        TypeKind::Binary(_) | TypeKind::Varbinary(_) => {
            primitive!(
                BinaryBuilder::with_capacity(n, n * 16),
                values,
                ty,
                |Value::Bytes(b)| b
            )
        }
        TypeKind::Date => primitive!(Date32Builder::with_capacity(n), values, ty, |Value::Date(d)| *d),
        TypeKind::Time(_) if unit.time_micros => primitive!(
            Time64MicrosecondBuilder::with_capacity(n),
            values,
            ty,
            |Value::Time(nanos)| *nanos / 1_000
        ),
        TypeKind::Time(_) => primitive!(
            Time32MillisecondBuilder::with_capacity(n),
            values,
            ty,
            |Value::Time(nanos)| (*nanos / 1_000_000) as i32
        ),
        TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_) => timestamps(ty, values, n, unit),
        TypeKind::Array(element) => list(ty, element, values, n, unit),
        TypeKind::Multiset(element) => multiset(ty, element, values, n, unit),
        TypeKind::Map(key, value) => map(ty, key, value, values, n, unit),
        TypeKind::Row(fields) => {
            let mut nulls = Vec::with_capacity(n);
            let mut columns: Vec<Vec<&Value>> = vec![Vec::with_capacity(n); fields.len()];
            for v in values {
                match v {
                    Value::Row(items) => {
                        nulls.push(true);
                        for (i, c) in columns.iter_mut().enumerate() {
                            c.push(items.get(i).unwrap_or(&Value::Null));
                        }
                    }
                    Value::Null => {
                        nulls.push(false);
                        for c in &mut columns {
                            c.push(&Value::Null);
                        }
                    }
                    other => return Err(mismatch(ty, other)),
                }
            }
            let mut arrow_fields = Vec::with_capacity(fields.len());
            let mut children = Vec::with_capacity(fields.len());
            for (f, c) in fields.iter().zip(&columns) {
                arrow_fields.push(Field::new(f.name.as_str(), arrow_type(&f.ty, unit)?, true));
                children.push(array(&f.ty, c, unit).map_err(|e| format!("{}: {e}", f.name))?);
            }
            let array = StructArray::try_new(
                Fields::from(arrow_fields),
                children,
                Some(NullBuffer::from(nulls)),
            )
            .map_err(|e| e.to_string())?;
            Ok(Arc::new(array))
        }
        TypeKind::IntervalDayTime | TypeKind::IntervalYearMonth => {
            Err(format!("the parquet format does not support the type {ty}"))
        }
    }
}

fn timestamps<'a>(
    ty: &DataType,
    values: impl Iterator<Item = &'a Value>,
    n: usize,
    unit: Layout,
) -> Result<ArrayRef, EncodeError> {
    let mut out = Vec::with_capacity(n);
    let mut valid = Vec::with_capacity(n);
    for v in values {
        match v {
            Value::Timestamp(micros) => {
                out.push(match unit.timestamp {
                    TimestampUnit::Millis => micros.div_euclid(1000),
                    TimestampUnit::Micros => *micros,
                    TimestampUnit::Nanos => micros.saturating_mul(1000),
                });
                valid.push(true);
            }
            Value::Null => {
                out.push(0);
                valid.push(false);
            }
            other => return Err(mismatch(ty, other)),
        }
    }
    let arrow = arrow_type(ty, unit)?;
    let nulls = Some(NullBuffer::from(valid));
    let array: ArrayRef = match unit.timestamp {
        TimestampUnit::Millis => Arc::new(
            PrimitiveArray::<arrow_array::types::TimestampMillisecondType>::new(out.into(), nulls)
                .with_data_type(arrow),
        ),
        TimestampUnit::Micros => Arc::new(
            PrimitiveArray::<arrow_array::types::TimestampMicrosecondType>::new(out.into(), nulls)
                .with_data_type(arrow),
        ),
        TimestampUnit::Nanos => Arc::new(
            PrimitiveArray::<arrow_array::types::TimestampNanosecondType>::new(out.into(), nulls)
                .with_data_type(arrow),
        ),
    };
    Ok(array)
}

fn list<'a>(
    ty: &DataType,
    element: &DataType,
    values: impl Iterator<Item = &'a Value>,
    n: usize,
    unit: Layout,
) -> Result<ArrayRef, EncodeError> {
    let mut lengths = Vec::with_capacity(n);
    let mut valid = Vec::with_capacity(n);
    let mut items: Vec<&Value> = Vec::new();
    for v in values {
        match v {
            Value::Array(xs) => {
                lengths.push(xs.len());
                valid.push(true);
                items.extend(xs.iter());
            }
            Value::Null => {
                lengths.push(0);
                valid.push(false);
            }
            other => return Err(mismatch(ty, other)),
        }
    }
    let child = array(element, &items, unit)?;
    let field = Arc::new(Field::new("element", arrow_type(element, unit)?, true));
    let list = ListArray::try_new(
        field,
        OffsetBuffer::from_lengths(lengths),
        child,
        Some(NullBuffer::from(valid)),
    )
    .map_err(|e| e.to_string())?;
    Ok(Arc::new(list))
}

fn map<'a>(
    ty: &DataType,
    key: &DataType,
    value: &DataType,
    values: impl Iterator<Item = &'a Value>,
    n: usize,
    unit: Layout,
) -> Result<ArrayRef, EncodeError> {
    let mut lengths = Vec::with_capacity(n);
    let mut valid = Vec::with_capacity(n);
    let mut keys: Vec<&Value> = Vec::new();
    let mut vals: Vec<&Value> = Vec::new();
    for v in values {
        match v {
            Value::Map(entries) => {
                lengths.push(entries.len());
                valid.push(true);
                for (k, x) in entries {
                    if matches!(k, Value::Null) {
                        return Err(format!(
                            "a {ty} value has a NULL key, which Parquet maps cannot hold"
                        ));
                    }
                    keys.push(k);
                    vals.push(x);
                }
            }
            Value::Null => {
                lengths.push(0);
                valid.push(false);
            }
            other => return Err(mismatch(ty, other)),
        }
    }
    entries_array(key, value, &keys, &vals, lengths, valid, unit)
}

/// A MULTISET as Flink writes it: a map from each distinct element to its count.
fn multiset<'a>(
    ty: &DataType,
    element: &DataType,
    values: impl Iterator<Item = &'a Value>,
    n: usize,
    unit: Layout,
) -> Result<ArrayRef, EncodeError> {
    let mut lengths = Vec::with_capacity(n);
    let mut valid = Vec::with_capacity(n);
    let mut keys: Vec<&Value> = Vec::new();
    let mut counts: Vec<Value> = Vec::new();
    for v in values {
        match v {
            Value::Array(xs) => {
                let start = keys.len();
                for x in xs {
                    if matches!(x, Value::Null) {
                        return Err(format!("a {ty} value holds NULL, which Parquet map keys cannot"));
                    }
                    match keys[start..].iter().position(|k| *k == x) {
                        Some(i) => {
                            if let Value::Int(c) = &mut counts[start + i] {
                                *c += 1;
                            }
                        }
                        None => {
                            keys.push(x);
                            counts.push(Value::Int(1));
                        }
                    }
                }
                lengths.push(keys.len() - start);
                valid.push(true);
            }
            Value::Null => {
                lengths.push(0);
                valid.push(false);
            }
            other => return Err(mismatch(ty, other)),
        }
    }
    let counts: Vec<&Value> = counts.iter().collect();
    entries_array(
        element,
        &DataType::new(TypeKind::Int),
        &keys,
        &counts,
        lengths,
        valid,
        unit,
    )
}

fn entries_array(
    key: &DataType,
    value: &DataType,
    keys: &[&Value],
    values: &[&Value],
    lengths: Vec<usize>,
    valid: Vec<bool>,
    unit: Layout,
) -> Result<ArrayRef, EncodeError> {
    let key_array = array(key, keys, unit)?;
    let value_array = array(value, values, unit)?;
    let fields = Fields::from(vec![
        Field::new("key", arrow_type(key, unit)?, false),
        Field::new("value", arrow_type(value, unit)?, true),
    ]);
    let entries = StructArray::try_new(fields.clone(), vec![key_array, value_array], None)
        .map_err(|e| e.to_string())?;
    let field = Arc::new(Field::new("key_value", ArrowType::Struct(fields), false));
    let map = MapArray::try_new(
        field,
        OffsetBuffer::from_lengths(lengths),
        entries,
        Some(NullBuffer::from(valid)),
        false,
    )
    .map_err(|e| e.to_string())?;
    Ok(Arc::new(map))
}
