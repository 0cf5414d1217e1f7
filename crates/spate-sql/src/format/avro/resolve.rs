//! Reading records written with another Avro schema (a registry's writer schema) as the
//! table's row: Avro's schema resolution, compiled once per writer schema into a [`Plan`]
//! and then walked beside each record's bytes.
//!
//! The rules are Avro's (what Flink's `GenericDatumReader(writer, reader)` applies with the
//! schema Flink derives from the table): fields are matched by name, writer fields the table
//! lacks are skipped, table columns the writer lacks are `NULL` (a `NOT NULL` column without
//! one is an error), `int → long → float → double` and `string ↔ bytes` are promoted, a
//! writer union is resolved branch by branch (a branch that cannot be read fails only the
//! records that use it), and anything else fails with Avro's `Found X, expecting Y`.
//!
//! Where Spate differs on purpose, so that no row is silently wrong: a timestamp or time is
//! converted by its writer's unit (millis, micros, nanos) where Avro hands the reader the raw
//! number and Flink reads it in the table's unit; a decimal is rescaled from the writer's
//! scale (half up; a value that no longer fits the column's precision is an error) where
//! Flink reads the unscaled bytes with the table's scale; and a decimal written as `fixed` is
//! read, which Avro's resolution refuses.

use std::sync::Arc;

use spate_avro::binary::Reader;
use spate_avro::{Logical, Node, Primitive, Schema, TypeId};

use super::super::FormatError;
use super::codec::from_twos_complement;
use crate::types::{DataType, RowField, TypeKind};
use crate::value::Value;

/// Deepest nesting read or skipped (recursive writer types end here).
const MAX_DEPTH: usize = 64;

// Arrays are read with at least one byte per item counted (as the table-schema codec does):
// an array of zero-byte items (`null`, an empty record) longer than its record's bytes is
// refused rather than allocated, which no real writer produces.

/// How to read one writer schema's records as the table's columns.
#[derive(Debug)]
pub(super) struct Plan {
    writer: Arc<Schema>,
    root: RecordPlan,
}

/// A writer record read as a row: its fields in writer order, then the table's columns the
/// writer lacks.
#[derive(Debug)]
struct RecordPlan {
    steps: Vec<Step>,
    /// Columns no writer field fills (read as `NULL`).
    missing: Vec<usize>,
    width: usize,
}

#[derive(Debug)]
enum Step {
    Read { column: usize, read: Read },
    Skip(TypeId),
}

/// Reads one writer value as one table value.
#[derive(Debug)]
enum Read {
    Null,
    Boolean,
    /// `int` or `long` into an integer column; `Some(bits)` checks the column's range.
    Integer {
        long: bool,
        bits: Option<u32>,
    },
    /// `int`, `long`, `float` or `double` into `FLOAT`/`DOUBLE`.
    Real(Primitive),
    /// `string` or `bytes` as text (checked UTF-8).
    Text,
    /// `string` or `bytes` as bytes.
    Bytes,
    Decimal {
        fixed: Option<usize>,
        from: u32,
        to: u32,
        precision: u32,
    },
    Date,
    /// A time of day in this many nanoseconds per unit (`int` millis or `long` micros).
    Time {
        long: bool,
        nanos_per_unit: i64,
    },
    /// A timestamp in the writer's unit, floored to the column's precision.
    Timestamp {
        unit: Unit,
        precision: u32,
    },
    Row(RecordPlan),
    Array(Box<Read>),
    Map(Box<Read>),
    /// A writer union: what to do with each branch (the message for one that cannot be read).
    Union(Vec<Result<Read, String>>),
}

#[derive(Debug, Clone, Copy)]
enum Unit {
    Millis,
    Micros,
    Nanos,
}

impl Plan {
    /// Resolves `writer` against the table's `columns`; an error says why no record of this
    /// writer can be read.
    pub(super) fn new(writer: Arc<Schema>, columns: &[(&str, &DataType)]) -> Result<Plan, String> {
        let root = writer.root();
        let Node::Record(_) = writer.node(root) else {
            return Err(format!(
                "Found {}, expecting a record (the table's row)",
                writer.kind_name(root)
            ));
        };
        let root = record(&writer, root, columns, 0)?;
        Ok(Plan { writer, root })
    }

    /// Appends one value per column, read from `bytes` (one whole datum).
    pub(super) fn decode(&self, bytes: &[u8], out: &mut Vec<Value>) -> Result<(), FormatError> {
        let mut r = Reader::new(bytes);
        let start = out.len();
        out.resize(start + self.root.width, Value::Null);
        if let Err(e) = read_record(&self.writer, &self.root, &mut r, &mut out[start..], 0) {
            out.truncate(start);
            return Err(e);
        }
        if r.remaining() > 0 {
            out.truncate(start);
            return Err(FormatError(format!(
                "{} bytes after the Avro record (at byte {})",
                r.remaining(),
                r.position()
            )));
        }
        Ok(())
    }
}

fn record(
    writer: &Schema,
    id: TypeId,
    columns: &[(&str, &DataType)],
    depth: usize,
) -> Result<RecordPlan, String> {
    let Node::Record(rec) = writer.node(id) else {
        return Err(found(writer, id, "record"));
    };
    let mut filled = vec![false; columns.len()];
    let mut steps = Vec::with_capacity(rec.fields.len());
    for f in &rec.fields {
        match columns.iter().position(|(name, _)| *name == f.name) {
            Some(column) if !filled[column] => {
                filled[column] = true;
                let read = resolve(writer, f.ty, columns[column].1, depth + 1)
                    .map_err(|e| format!("field '{}': {e}", f.name))?;
                steps.push(Step::Read { column, read });
            }
            _ => steps.push(Step::Skip(f.ty)),
        }
    }
    let mut missing = Vec::new();
    for (column, (name, ty)) in columns.iter().enumerate() {
        if filled[column] {
            continue;
        }
        if !ty.nullable {
            return Err(format!(
                "Found {}, expecting the table's row, missing required field {name}",
                writer
                    .name_of(id)
                    .map_or_else(|| "record".to_string(), |n| n.full())
            ));
        }
        missing.push(column);
    }
    Ok(RecordPlan {
        steps,
        missing,
        width: columns.len(),
    })
}

fn found(writer: &Schema, id: TypeId, expecting: &str) -> String {
    let name = writer
        .name_of(id)
        .map_or_else(|| writer.kind_name(id).to_string(), |n| n.full());
    format!("Found {name}, expecting {expecting}")
}

fn unit_of(logical: Option<Logical>) -> Option<Unit> {
    match logical? {
        Logical::TimestampMillis | Logical::LocalTimestampMillis => Some(Unit::Millis),
        Logical::TimestampMicros | Logical::LocalTimestampMicros => Some(Unit::Micros),
        Logical::TimestampNanos | Logical::LocalTimestampNanos => Some(Unit::Nanos),
        _ => None,
    }
}

/// The plan for a writer type `id` read as a column of type `ty`.
fn resolve(writer: &Schema, id: TypeId, ty: &DataType, depth: usize) -> Result<Read, String> {
    if depth > MAX_DEPTH {
        return Err("types nested too deeply".into());
    }
    let node = writer.node(id);
    if let Node::Union(branches) = node {
        return Ok(Read::Union(
            branches
                .iter()
                .map(|b| resolve(writer, *b, ty, depth + 1))
                .collect(),
        ));
    }
    let kind = match node {
        Node::Primitive { kind, .. } => Some(*kind),
        _ => None,
    };
    if kind == Some(Primitive::Null) {
        return if ty.nullable {
            Ok(Read::Null)
        } else {
            Err(format!("Found null, expecting {} (a NOT NULL column)", ty))
        };
    }
    let logical = writer.logical(id);
    let expecting = |avro: &str| found(writer, id, avro);
    use Primitive as P;
    Ok(match (&ty.kind, kind) {
        (TypeKind::Boolean, Some(P::Boolean)) => Read::Boolean,
        (TypeKind::Boolean, _) => return Err(expecting("boolean")),
        (TypeKind::TinyInt, Some(P::Int)) => Read::Integer {
            long: false,
            bits: Some(8),
        },
        (TypeKind::SmallInt, Some(P::Int)) => Read::Integer {
            long: false,
            bits: Some(16),
        },
        (TypeKind::Int, Some(P::Int)) => Read::Integer {
            long: false,
            bits: None,
        },
        (TypeKind::TinyInt | TypeKind::SmallInt | TypeKind::Int, _) => return Err(expecting("int")),
        (TypeKind::BigInt, Some(P::Int)) => Read::Integer {
            long: false,
            bits: None,
        },
        (TypeKind::BigInt, Some(P::Long)) => Read::Integer {
            long: true,
            bits: None,
        },
        (TypeKind::BigInt, _) => return Err(expecting("long")),
        (TypeKind::Float, Some(k @ (P::Int | P::Long | P::Float))) => Read::Real(k),
        (TypeKind::Float, _) => return Err(expecting("float")),
        (TypeKind::Double, Some(k @ (P::Int | P::Long | P::Float | P::Double))) => Read::Real(k),
        (TypeKind::Double, _) => return Err(expecting("double")),
        (TypeKind::Char(_) | TypeKind::Varchar(_), Some(P::String | P::Bytes)) => Read::Text,
        (TypeKind::Char(_) | TypeKind::Varchar(_), _) => return Err(expecting("string")),
        (TypeKind::Binary(_) | TypeKind::Varbinary(_), Some(P::String | P::Bytes)) => Read::Bytes,
        (TypeKind::Binary(_) | TypeKind::Varbinary(_), _) => return Err(expecting("bytes")),
        (TypeKind::Decimal { precision, scale }, _) => {
            let fixed = match node {
                Node::Fixed(f) => Some(f.size),
                Node::Primitive { kind: P::Bytes, .. } => None,
                _ => return Err(expecting("bytes (decimal)")),
            };
            let from = match logical {
                Some(Logical::Decimal { scale, .. }) => scale,
                // Plain bytes: Avro and Flink read them in the column's scale.
                _ if fixed.is_none() => *scale,
                _ => return Err(expecting("bytes (decimal)")),
            };
            Read::Decimal {
                fixed,
                from,
                to: *scale,
                precision: *precision,
            }
        }
        (TypeKind::Date, Some(P::Int)) => Read::Date,
        (TypeKind::Date, _) => return Err(expecting("int (date)")),
        (TypeKind::Time(_), Some(P::Int)) => Read::Time {
            long: false,
            nanos_per_unit: 1_000_000,
        },
        (TypeKind::Time(_), Some(P::Long)) if logical == Some(Logical::TimeMicros) => Read::Time {
            long: true,
            nanos_per_unit: 1_000,
        },
        (TypeKind::Time(_), _) => return Err(expecting("int (time-millis)")),
        (TypeKind::Timestamp(p) | TypeKind::TimestampLtz(p), Some(P::Long)) => Read::Timestamp {
            // A long without a timestamp type is read in the column's own unit, as Flink does.
            unit: unit_of(logical).unwrap_or(if *p <= 3 { Unit::Millis } else { Unit::Micros }),
            precision: *p,
        },
        (TypeKind::Timestamp(_) | TypeKind::TimestampLtz(_), _) => return Err(expecting("long (timestamp)")),
        (TypeKind::Row(fields), _) => {
            let columns: Vec<(&str, &DataType)> = fields
                .iter()
                .map(|f: &RowField| (f.name.as_str(), &f.ty))
                .collect();
            Read::Row(record(writer, id, &columns, depth)?)
        }
        (TypeKind::Array(element), _) => match node {
            Node::Array { items, .. } => Read::Array(Box::new(resolve(writer, *items, element, depth + 1)?)),
            _ => return Err(expecting("array")),
        },
        (TypeKind::Map(_, value), _) => match node {
            Node::Map { values, .. } => Read::Map(Box::new(resolve(writer, *values, value, depth + 1)?)),
            _ => return Err(expecting("map")),
        },
        (other, _) => return Err(format!("the avro-confluent format cannot read type {other}")),
    })
}

fn err(e: spate_avro::AvroError) -> FormatError {
    FormatError(e.to_string())
}

fn read_record(
    writer: &Schema,
    plan: &RecordPlan,
    r: &mut Reader<'_>,
    out: &mut [Value],
    depth: usize,
) -> Result<(), FormatError> {
    for step in &plan.steps {
        match step {
            Step::Read { column, read } => out[*column] = read_value(writer, read, r, depth + 1)?,
            Step::Skip(ty) => skip(writer, *ty, r, depth + 1)?,
        }
    }
    for &column in &plan.missing {
        out[column] = Value::Null;
    }
    Ok(())
}

fn read_value(writer: &Schema, read: &Read, r: &mut Reader<'_>, depth: usize) -> Result<Value, FormatError> {
    if depth > MAX_DEPTH {
        return Err(FormatError("value nested too deeply".into()));
    }
    Ok(match read {
        Read::Null => Value::Null,
        Read::Boolean => Value::Boolean(r.boolean().map_err(err)?),
        Read::Integer { long, bits } => {
            let v = if *long { r.long() } else { r.int().map(i64::from) }.map_err(err)?;
            if let Some(bits) = bits {
                let max = (1i64 << (bits - 1)) - 1;
                if v > max || v < -max - 1 {
                    return Err(FormatError(format!(
                        "{v} is out of range for a {bits}-bit integer column"
                    )));
                }
            }
            Value::Int(v)
        }
        Read::Real(kind) => Value::Float(match kind {
            Primitive::Int => f64::from(r.int().map_err(err)?),
            Primitive::Long => r.long().map_err(err)? as f64,
            Primitive::Float => f64::from(r.float().map_err(err)?),
            _ => r.double().map_err(err)?,
        }),
        Read::Text => Value::String(r.string().map_err(err)?.to_string()),
        Read::Bytes => Value::Bytes(r.bytes().map_err(err)?.to_vec()),
        Read::Decimal {
            fixed,
            from,
            to,
            precision,
        } => {
            let at = r.position();
            let b = match fixed {
                Some(n) => r.take(*n),
                None => r.bytes(),
            }
            .map_err(err)?;
            match from_twos_complement(b).and_then(|v| crate::decimal::rescale(v, *from, *to)) {
                Some(v) if crate::decimal::fits(v, *precision) => Value::Decimal(v),
                _ => {
                    return Err(FormatError(format!(
                        "decimal at byte {at} does not fit DECIMAL({precision}, {to})"
                    )));
                }
            }
        }
        Read::Date => Value::Date(r.int().map_err(err)?),
        Read::Time { long, nanos_per_unit } => {
            let v = if *long { r.long() } else { r.int().map(i64::from) }.map_err(err)?;
            Value::Time(v.saturating_mul(*nanos_per_unit))
        }
        Read::Timestamp { unit, precision } => {
            let at = r.position();
            let v = r.long().map_err(err)?;
            let micros = match unit {
                Unit::Millis => v.checked_mul(1000),
                Unit::Micros => Some(v),
                Unit::Nanos => Some(v.div_euclid(1000)),
            };
            let Some(micros) = micros else {
                return Err(FormatError(format!("timestamp at byte {at} is out of range")));
            };
            // The column holds no finer digits than its precision.
            let step = 10i64.pow(6u32.saturating_sub(*precision));
            Value::Timestamp(micros - micros.rem_euclid(step))
        }
        Read::Row(plan) => {
            let mut values = vec![Value::Null; plan.width];
            read_record(writer, plan, r, &mut values, depth)?;
            Value::Row(values)
        }
        Read::Array(item) => {
            let mut items = Vec::new();
            loop {
                let n = r.block(1).map_err(err)?;
                if n == 0 {
                    break;
                }
                items.reserve(n);
                for _ in 0..n {
                    items.push(read_value(writer, item, r, depth + 1)?);
                }
            }
            Value::Array(items)
        }
        Read::Map(value) => {
            let mut entries = Vec::new();
            loop {
                let n = r.block(1).map_err(err)?;
                if n == 0 {
                    break;
                }
                entries.reserve(n);
                for _ in 0..n {
                    let k = r.string().map_err(err)?.to_string();
                    entries.push((Value::String(k), read_value(writer, value, r, depth + 1)?));
                }
            }
            Value::Map(entries)
        }
        Read::Union(branches) => {
            let at = r.position();
            let b = r.long().map_err(err)?;
            match usize::try_from(b).ok().and_then(|b| branches.get(b)) {
                Some(Ok(read)) => read_value(writer, read, r, depth + 1)?,
                Some(Err(why)) => return Err(FormatError(format!("union branch {b}: {why}"))),
                None => {
                    return Err(FormatError(format!(
                        "union branch {b} at byte {at} of a union of {}",
                        branches.len()
                    )));
                }
            }
        }
    })
}

/// Reads past one value of writer type `ty`.
fn skip(writer: &Schema, ty: TypeId, r: &mut Reader<'_>, depth: usize) -> Result<(), FormatError> {
    if depth > MAX_DEPTH {
        return Err(FormatError("value nested too deeply".into()));
    }
    match writer.node(ty) {
        Node::Primitive { kind, .. } => match kind {
            Primitive::Null => {}
            Primitive::Boolean => {
                r.boolean().map_err(err)?;
            }
            Primitive::Int | Primitive::Long => {
                r.long().map_err(err)?;
            }
            Primitive::Float => {
                r.take(4).map_err(err)?;
            }
            Primitive::Double => {
                r.take(8).map_err(err)?;
            }
            Primitive::Bytes | Primitive::String => {
                r.bytes().map_err(err)?;
            }
        },
        Node::Enum(_) => {
            r.long().map_err(err)?;
        }
        Node::Fixed(f) => {
            r.take(f.size).map_err(err)?;
        }
        Node::Record(rec) => {
            for f in &rec.fields {
                skip(writer, f.ty, r, depth + 1)?;
            }
        }
        Node::Array { items, .. } => loop {
            let n = r.block(1).map_err(err)?;
            if n == 0 {
                break;
            }
            for _ in 0..n {
                skip(writer, *items, r, depth + 1)?;
            }
        },
        Node::Map { values, .. } => loop {
            let n = r.block(1).map_err(err)?;
            if n == 0 {
                break;
            }
            for _ in 0..n {
                r.bytes().map_err(err)?;
                skip(writer, *values, r, depth + 1)?;
            }
        },
        Node::Union(branches) => {
            let b = r.long().map_err(err)?;
            let Some(branch) = usize::try_from(b).ok().and_then(|b| branches.get(b)) else {
                return Err(FormatError(format!(
                    "union branch {b} of a union of {}",
                    branches.len()
                )));
            };
            skip(writer, *branch, r, depth + 1)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use spate_avro::Datum;

    use super::*;
    use crate::ident::Ident;

    fn ty(kind: TypeKind, nullable: bool) -> DataType {
        DataType { kind, nullable }
    }

    /// Encodes `datum` under `writer` and reads it back as `columns`.
    fn read(writer: &str, datum: &Datum, columns: &[(&str, DataType)]) -> Result<Vec<Value>, String> {
        let schema = Schema::parse(writer).expect("writer parses");
        let mut bytes = Vec::new();
        schema.encode(datum, &mut bytes).expect("datum fits the writer");
        let cols: Vec<(&str, &DataType)> = columns.iter().map(|(n, t)| (*n, t)).collect();
        let plan = Plan::new(Arc::new(schema), &cols)?;
        let mut out = Vec::new();
        plan.decode(&bytes, &mut out).map_err(|e| e.0)?;
        Ok(out)
    }

    fn union(branch: usize, d: Datum) -> Datum {
        Datum::Union(branch as u32, Box::new(d))
    }

    #[test]
    fn fields_match_by_name_with_promotions_skips_and_missing_columns() {
        let writer = r#"{"type":"record","name":"W","fields":[
            {"name":"skipped","type":{"type":"record","name":"X","fields":[
                {"name":"m","type":{"type":"map","values":{"type":"array","items":"double"}}},
                {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"]}},
                {"name":"f","type":{"type":"fixed","name":"F","size":3}},
                {"name":"u","type":["null","float","string"]}]}},
            {"name":"c","type":"int"},
            {"name":"b","type":"bytes"},
            {"name":"a","type":"long"},
            {"name":"d","type":"float"}]}"#;
        let datum = Datum::Record(vec![
            Datum::Record(vec![
                Datum::Map(vec![("k".into(), Datum::Array(vec![Datum::Double(1.5)]))]),
                Datum::Enum(1),
                Datum::Fixed(vec![1, 2, 3]),
                union(2, Datum::String("zz".into())),
            ]),
            Datum::Int(-7),
            Datum::Bytes(b"hi".to_vec()),
            Datum::Long(1 << 40),
            Datum::Float(0.5),
        ]);
        let got = read(
            writer,
            &datum,
            &[
                ("a", ty(TypeKind::BigInt, false)),
                ("b", ty(TypeKind::Varchar(10), false)),
                ("c", ty(TypeKind::Double, false)),
                ("d", ty(TypeKind::Double, true)),
                ("absent", ty(TypeKind::Int, true)),
            ],
        )
        .expect("resolves");
        assert_eq!(
            got,
            vec![
                Value::Int(1 << 40),
                Value::String("hi".into()),
                Value::Float(-7.0),
                Value::Float(0.5),
                Value::Null
            ]
        );
        // A NOT NULL column the writer lacks, and a type Avro does not promote.
        let e = read(writer, &datum, &[("absent", ty(TypeKind::Int, false))]).unwrap_err();
        assert!(e.contains("missing required field absent"), "{e}");
        let e = read(writer, &datum, &[("a", ty(TypeKind::Int, false))]).unwrap_err();
        assert_eq!(e, "field 'a': Found long, expecting int");
    }

    #[test]
    fn writer_unions_resolve_per_branch() {
        let writer = r#"{"type":"record","name":"W","fields":[{"name":"v","type":["null","int","string"]}]}"#;
        let cols = [("v", ty(TypeKind::BigInt, true))];
        assert_eq!(
            read(writer, &Datum::Record(vec![union(0, Datum::Null)]), &cols),
            Ok(vec![Value::Null])
        );
        assert_eq!(
            read(writer, &Datum::Record(vec![union(1, Datum::Int(3))]), &cols),
            Ok(vec![Value::Int(3)])
        );
        // Only records that use the unreadable branch fail.
        let e = read(
            writer,
            &Datum::Record(vec![union(2, Datum::String("x".into()))]),
            &cols,
        )
        .unwrap_err();
        assert_eq!(e, "union branch 2: Found string, expecting long");
        let not_null = [("v", ty(TypeKind::BigInt, false))];
        let e = read(writer, &Datum::Record(vec![union(0, Datum::Null)]), &not_null).unwrap_err();
        assert!(e.contains("Found null, expecting BIGINT NOT NULL"), "{e}");
    }

    #[test]
    fn time_and_decimals_keep_their_meaning_across_units_and_scales() {
        let writer = r#"{"type":"record","name":"W","fields":[
            {"name":"nanos","type":{"type":"long","logicalType":"timestamp-nanos"}},
            {"name":"millis","type":{"type":"long","logicalType":"local-timestamp-millis"}},
            {"name":"plain","type":"long"},
            {"name":"t","type":{"type":"long","logicalType":"time-micros"}},
            {"name":"dec","type":{"type":"bytes","logicalType":"decimal","precision":6,"scale":3}},
            {"name":"fixed","type":{"type":"fixed","name":"D","size":2,"logicalType":"decimal","precision":4,"scale":1}}]}"#;
        let datum = Datum::Record(vec![
            Datum::Long(1_700_000_000_123_456_789),
            Datum::Long(1_700_000_000_123),
            Datum::Long(1_700_000_000_123),
            Datum::Long(3_723_000_001),
            Datum::Bytes(vec![0x30, 0x3b]), // 12.347
            Datum::Fixed(vec![0xff, 0x85]), // -12.3
        ]);
        let got = read(
            writer,
            &datum,
            &[
                ("nanos", ty(TypeKind::Timestamp(3), true)),
                ("millis", ty(TypeKind::Timestamp(6), true)),
                ("plain", ty(TypeKind::Timestamp(3), true)),
                ("t", ty(TypeKind::Time(3), true)),
                (
                    "dec",
                    ty(
                        TypeKind::Decimal {
                            precision: 5,
                            scale: 2,
                        },
                        true,
                    ),
                ),
                (
                    "fixed",
                    ty(
                        TypeKind::Decimal {
                            precision: 5,
                            scale: 2,
                        },
                        true,
                    ),
                ),
            ],
        )
        .expect("resolves");
        assert_eq!(
            got,
            vec![
                Value::Timestamp(1_700_000_000_123_000),
                Value::Timestamp(1_700_000_000_123_000),
                Value::Timestamp(1_700_000_000_123_000),
                Value::Time(3_723_000_001_000),
                Value::Decimal(1235),
                Value::Decimal(-1230),
            ]
        );
        let e = read(
            writer,
            &datum,
            &[(
                "dec",
                ty(
                    TypeKind::Decimal {
                        precision: 3,
                        scale: 2,
                    },
                    true,
                ),
            )],
        )
        .unwrap_err();
        assert!(e.contains("does not fit DECIMAL(3, 2)"), "{e}");
    }

    #[test]
    fn nested_rows_arrays_and_maps_resolve_inside() {
        let writer = r#"{"type":"record","name":"W","fields":[
            {"name":"r","type":{"type":"record","name":"In","fields":[{"name":"extra","type":"string"},{"name":"x","type":"int"}]}},
            {"name":"xs","type":{"type":"array","items":"int"}},
            {"name":"m","type":{"type":"map","values":["null","string"]}}]}"#;
        let datum = Datum::Record(vec![
            Datum::Record(vec![Datum::String("skip me".into()), Datum::Int(4)]),
            Datum::Array(vec![Datum::Int(1), Datum::Int(2)]),
            Datum::Map(vec![("k".into(), union(1, Datum::String("v".into())))]),
        ]);
        let row = TypeKind::Row(vec![
            RowField {
                name: Ident::new("x"),
                ty: ty(TypeKind::BigInt, false),
                description: None,
            },
            RowField {
                name: Ident::new("y"),
                ty: ty(TypeKind::Boolean, true),
                description: None,
            },
        ]);
        let string = || Box::new(ty(TypeKind::Varchar(u32::MAX), true));
        let got = read(
            writer,
            &datum,
            &[
                ("r", ty(row, true)),
                (
                    "xs",
                    ty(TypeKind::Array(Box::new(ty(TypeKind::Float, true))), true),
                ),
                ("m", ty(TypeKind::Map(string(), string()), true)),
            ],
        )
        .expect("resolves");
        assert_eq!(
            got,
            vec![
                Value::Row(vec![Value::Int(4), Value::Null]),
                Value::Array(vec![Value::Float(1.0), Value::Float(2.0)]),
                Value::Map(vec![(Value::String("k".into()), Value::String("v".into()))]),
            ]
        );
    }

    #[test]
    fn hostile_bytes_are_errors() {
        let schema = Arc::new(
            Schema::parse(r#"{"type":"record","name":"W","fields":[{"name":"a","type":{"type":"array","items":"null"}},{"name":"s","type":"string"}]}"#)
                .expect("parses"),
        );
        let cols = [("a", ty(TypeKind::Array(Box::new(ty(TypeKind::Int, true))), true))];
        let cols: Vec<(&str, &DataType)> = cols.iter().map(|(n, t)| (*n, t)).collect();
        let plan = Plan::new(schema, &cols).expect("resolves");
        let mut out = Vec::new();
        for bad in [
            &[][..],
            &[0xfe, 0xff, 0xff, 0xff, 0x0f],
            &[0, 0xff, 0xff, 0xff, 0xff, 0x0f],
            &[0, 4, 0xff],
        ] {
            assert!(plan.decode(bad, &mut out).is_err(), "{bad:?}");
            assert!(out.is_empty());
        }
    }
}
