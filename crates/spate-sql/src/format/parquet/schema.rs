//! Table columns as Arrow fields and as the Parquet schema Flink's `ParquetSchemaConverter`
//! writes (message `flink_schema`, every field OPTIONAL, 3-level lists, `key_value` maps,
//! every DECIMAL a fixed-length byte array), except for timestamps: INT64 with the
//! `TIMESTAMP` logical type (Flink's `parquet.write.int64.timestamp = true`), since arrow-rs
//! does not write the deprecated INT96.

use std::sync::Arc;

use arrow_schema::{DataType as ArrowType, Field, Fields, Schema, TimeUnit};
use parquet::basic::{LogicalType, Repetition, TimeUnit as ParquetUnit, Type as Physical};
use parquet::schema::types::{SchemaDescriptor, Type, TypePtr};

use crate::format::FormatField;
use crate::types::{DataType, TypeKind};

/// How TIMESTAMP columns are stored (`parquet.timestamp.time.unit`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimestampUnit {
    Millis,
    Micros,
    Nanos,
}

impl TimestampUnit {
    pub(crate) fn arrow(self) -> TimeUnit {
        match self {
            Self::Millis => TimeUnit::Millisecond,
            Self::Micros => TimeUnit::Microsecond,
            Self::Nanos => TimeUnit::Nanosecond,
        }
    }

    fn parquet(self) -> ParquetUnit {
        match self {
            Self::Millis => ParquetUnit::MILLIS,
            Self::Micros => ParquetUnit::MICROS,
            Self::Nanos => ParquetUnit::NANOS,
        }
    }
}

/// How columns are laid out in Parquet: Flink's filesystem format writes TIME as TIME_MILLIS
/// and every column OPTIONAL; Iceberg's spec wants TIME as TIME_MICROS and a table's required
/// columns REQUIRED (nested fields stay OPTIONAL: Spate's Iceberg tables make them optional).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// TIMESTAMP and TIMESTAMP_LTZ.
    pub(crate) timestamp: TimestampUnit,
    /// TIME as INT64 microseconds (Iceberg) rather than INT32 milliseconds (Flink).
    pub(crate) time_micros: bool,
    /// A top-level NOT NULL column is REQUIRED (Iceberg) rather than OPTIONAL (Flink).
    pub(crate) required_columns: bool,
    /// The Arrow schema is embedded (arrow-rs's default); Iceberg's files, as Java writes
    /// them, have none, so readers take the Parquet schema and its field ids.
    pub(crate) arrow_metadata: bool,
}

impl Layout {
    /// Flink's filesystem `parquet` format with TIMESTAMPs in `timestamp`.
    pub(crate) fn flink(timestamp: TimestampUnit) -> Self {
        Self {
            timestamp,
            time_micros: false,
            required_columns: false,
            arrow_metadata: true,
        }
    }

    /// Iceberg's Parquet data files.
    pub(crate) fn iceberg() -> Self {
        Self {
            timestamp: TimestampUnit::Micros,
            time_micros: true,
            required_columns: true,
            arrow_metadata: false,
        }
    }

    fn nullable(self, ty: &DataType) -> bool {
        !self.required_columns || ty.nullable
    }
}

/// Iceberg field ids of a column and of what is nested in it: a list's element, a map's key
/// and value (a MULTISET's element and count), a row's fields, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldIds {
    pub(crate) id: i32,
    pub(crate) children: Vec<FieldIds>,
}

/// The zone name Arrow gives `TIMESTAMP_LTZ` columns (instants; readers show them in UTC).
const UTC: &str = "UTC";

/// The Arrow type of a column, or why the format cannot hold it.
pub(crate) fn arrow_type(ty: &DataType, unit: Layout) -> Result<ArrowType, String> {
    Ok(match &ty.kind {
        TypeKind::Boolean => ArrowType::Boolean,
        TypeKind::TinyInt => ArrowType::Int8,
        TypeKind::SmallInt => ArrowType::Int16,
        TypeKind::Int => ArrowType::Int32,
        TypeKind::BigInt => ArrowType::Int64,
        TypeKind::Float => ArrowType::Float32,
        TypeKind::Double => ArrowType::Float64,
        TypeKind::Decimal { precision, scale } => ArrowType::Decimal128(
            u8::try_from(*precision).map_err(|_| format!("{ty} has too many digits"))?,
            i8::try_from(*scale).map_err(|_| format!("{ty} has too many digits"))?,
        ),
        TypeKind::Char(_) | TypeKind::Varchar(_) => ArrowType::Utf8,
        TypeKind::Binary(_) | TypeKind::Varbinary(_) => ArrowType::Binary,
        TypeKind::Date => ArrowType::Date32,
        TypeKind::Time(_) if unit.time_micros => ArrowType::Time64(TimeUnit::Microsecond),
        TypeKind::Time(_) => ArrowType::Time32(TimeUnit::Millisecond),
        TypeKind::Timestamp(_) => ArrowType::Timestamp(unit.timestamp.arrow(), None),
        TypeKind::TimestampLtz(_) => ArrowType::Timestamp(unit.timestamp.arrow(), Some(UTC.into())),
        TypeKind::Array(element) => {
            ArrowType::List(Arc::new(Field::new("element", arrow_type(element, unit)?, true)))
        }
        TypeKind::Multiset(element) => map_type(element, &DataType::new(TypeKind::Int), unit)?,
        TypeKind::Map(key, value) => map_type(key, value, unit)?,
        TypeKind::Row(fields) => ArrowType::Struct(
            fields
                .iter()
                .map(|f| Ok(Field::new(f.name.as_str(), arrow_type(&f.ty, unit)?, true)))
                .collect::<Result<Fields, String>>()?,
        ),
        TypeKind::IntervalDayTime | TypeKind::IntervalYearMonth => {
            return Err(format!("the parquet format does not support the type {ty}"));
        }
    })
}

fn map_type(key: &DataType, value: &DataType, unit: Layout) -> Result<ArrowType, String> {
    let entries = Field::new(
        "key_value",
        ArrowType::Struct(Fields::from(vec![
            // Parquet map keys are required; a NULL key is an error when written.
            Field::new("key", arrow_type(key, unit)?, false),
            Field::new("value", arrow_type(value, unit)?, true),
        ])),
        false,
    );
    Ok(ArrowType::Map(Arc::new(entries), false))
}

/// The Arrow schema of `fields` (all nullable as Flink writes them, or as the layout says).
pub(crate) fn arrow_schema(fields: &[FormatField], unit: Layout) -> Result<Schema, String> {
    let fields = fields
        .iter()
        .map(|f| {
            arrow_type(&f.ty, unit)
                .map(|t| Field::new(f.name.as_str(), t, unit.nullable(&f.ty)))
                .map_err(|e| format!("column {}: {e}", f.name))
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Schema::new(fields))
}

/// The Parquet schema Flink writes for `fields` (see the module docs), in `unit`'s layout, with
/// Iceberg field ids when `ids` gives them (field `i`'s are `ids[i]`).
pub(crate) fn parquet_schema(
    fields: &[FormatField],
    unit: Layout,
    ids: Option<&[FieldIds]>,
) -> Result<SchemaDescriptor, String> {
    let columns = fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let ids = ids.and_then(|ids| ids.get(i));
            let repetition = if unit.nullable(&f.ty) {
                Repetition::OPTIONAL
            } else {
                Repetition::REQUIRED
            };
            column(&f.name, &f.ty, unit, repetition, ids).map_err(|e| format!("column {}: {e}", f.name))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let root = Type::group_type_builder("flink_schema")
        .with_fields(columns)
        .build()
        .map_err(|e| e.to_string())?;
    Ok(SchemaDescriptor::new(Arc::new(root)))
}

fn primitive(
    name: &str,
    physical: Physical,
    logical: Option<LogicalType>,
    repetition: Repetition,
    id: Option<i32>,
) -> Result<TypePtr, String> {
    Type::primitive_type_builder(name, physical)
        .with_repetition(repetition)
        .with_logical_type(logical)
        .with_id(id)
        .build()
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

fn group(
    name: &str,
    logical: Option<LogicalType>,
    repetition: Repetition,
    fields: Vec<TypePtr>,
    id: Option<i32>,
) -> Result<TypePtr, String> {
    Type::group_type_builder(name)
        .with_repetition(repetition)
        .with_logical_type(logical)
        .with_fields(fields)
        .with_id(id)
        .build()
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// The bytes Flink gives a DECIMAL of `precision` digits: the fewest that hold every value.
pub(crate) fn decimal_bytes(precision: u32) -> i32 {
    // 2^(8n-1) > 10^precision, i.e. (8n - 1) * log10(2) >= precision.
    let mut n = 1;
    while f64::from(8 * n - 1) * std::f64::consts::LOG10_2 < f64::from(precision) {
        n += 1;
    }
    n
}

fn column(
    name: &str,
    ty: &DataType,
    unit: Layout,
    repetition: Repetition,
    ids: Option<&FieldIds>,
) -> Result<TypePtr, String> {
    let id = ids.map(|f| f.id);
    let child = |i: usize| ids.and_then(|f| f.children.get(i));
    let p = |physical, logical| primitive(name, physical, logical, repetition, id);
    match &ty.kind {
        TypeKind::Boolean => p(Physical::BOOLEAN, None),
        TypeKind::TinyInt => p(Physical::INT32, Some(LogicalType::integer(8, true))),
        TypeKind::SmallInt => p(Physical::INT32, Some(LogicalType::integer(16, true))),
        TypeKind::Int => p(Physical::INT32, None),
        TypeKind::BigInt => p(Physical::INT64, None),
        TypeKind::Float => p(Physical::FLOAT, None),
        TypeKind::Double => p(Physical::DOUBLE, None),
        TypeKind::Decimal { precision, scale } => {
            let precision_i32 = i32::try_from(*precision).map_err(|e| e.to_string())?;
            let scale_i32 = i32::try_from(*scale).map_err(|e| e.to_string())?;
            Type::primitive_type_builder(name, Physical::FIXED_LEN_BYTE_ARRAY)
                .with_repetition(repetition)
                .with_length(decimal_bytes(*precision))
                .with_logical_type(Some(LogicalType::decimal(scale_i32, precision_i32)))
                .with_precision(precision_i32)
                .with_scale(scale_i32)
                .with_id(id)
                .build()
                .map(Arc::new)
                .map_err(|e| e.to_string())
        }
        TypeKind::Char(_) | TypeKind::Varchar(_) => p(Physical::BYTE_ARRAY, Some(LogicalType::String)),
        TypeKind::Binary(_) | TypeKind::Varbinary(_) => p(Physical::BYTE_ARRAY, None),
        TypeKind::Date => p(Physical::INT32, Some(LogicalType::Date)),
        TypeKind::Time(_) if unit.time_micros => p(
            Physical::INT64,
            Some(LogicalType::time(false, ParquetUnit::MICROS)),
        ),
        TypeKind::Time(_) => p(
            Physical::INT32,
            Some(LogicalType::time(false, ParquetUnit::MILLIS)),
        ),
        TypeKind::Timestamp(_) => p(
            Physical::INT64,
            Some(LogicalType::timestamp(false, unit.timestamp.parquet())),
        ),
        TypeKind::TimestampLtz(_) => p(
            Physical::INT64,
            Some(LogicalType::timestamp(true, unit.timestamp.parquet())),
        ),
        TypeKind::Array(element) => {
            let element = column("element", element, unit, Repetition::OPTIONAL, child(0))?;
            let list = group("list", None, Repetition::REPEATED, vec![element], None)?;
            group(name, Some(LogicalType::List), repetition, vec![list], id)
        }
        TypeKind::Multiset(element) => map_column(
            name,
            element,
            &DataType::new(TypeKind::Int),
            unit,
            repetition,
            ids,
        ),
        TypeKind::Map(key, value) => map_column(name, key, value, unit, repetition, ids),
        TypeKind::Row(fields) => {
            let children = fields
                .iter()
                .enumerate()
                .map(|(i, f)| column(f.name.as_str(), &f.ty, unit, Repetition::OPTIONAL, child(i)))
                .collect::<Result<Vec<_>, String>>()?;
            group(name, None, repetition, children, id)
        }
        TypeKind::IntervalDayTime | TypeKind::IntervalYearMonth => {
            Err(format!("the parquet format does not support the type {ty}"))
        }
    }
}

fn map_column(
    name: &str,
    key: &DataType,
    value: &DataType,
    unit: Layout,
    repetition: Repetition,
    ids: Option<&FieldIds>,
) -> Result<TypePtr, String> {
    let child = |i: usize| ids.and_then(|f| f.children.get(i));
    let id = ids.map(|f| f.id);
    let key = column("key", key, unit, Repetition::REQUIRED, child(0))?;
    let value = column("value", value, unit, Repetition::OPTIONAL, child(1))?;
    let entries = group("key_value", None, Repetition::REPEATED, vec![key, value], None)?;
    group(name, Some(LogicalType::Map), repetition, vec![entries], id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_widths_are_flinks() {
        // Flink's ParquetSchemaConverter.computeMinBytesForDecimalPrecision.
        assert_eq!(decimal_bytes(1), 1);
        assert_eq!(decimal_bytes(2), 1);
        assert_eq!(decimal_bytes(3), 2);
        assert_eq!(decimal_bytes(9), 4);
        assert_eq!(decimal_bytes(10), 5);
        assert_eq!(decimal_bytes(18), 8);
        assert_eq!(decimal_bytes(19), 9);
        assert_eq!(decimal_bytes(38), 16);
    }
}
