//! Between Avro datums and Iceberg values: partition values to and from Avro, and reading
//! decoded records by Iceberg field id (files written by Java or pyiceberg may order or name
//! fields differently; the ids are what the spec fixes).

use std::collections::BTreeMap;

use spate_avro::{Datum, Node, Schema as AvroSchema, TypeId};

use crate::error::{IcebergError, Result};
use crate::types::PrimitiveType;
use crate::value::{Value, decimal_required_bytes};

/// `["null", T]` value.
pub(crate) fn opt(d: Option<Datum>) -> Datum {
    match d {
        None => Datum::Union(0, Box::new(Datum::Null)),
        Some(d) => Datum::Union(1, Box::new(d)),
    }
}

/// The Avro datum of a primitive value (as [`crate::avro_schema::avro_primitive`] types it).
pub(crate) fn value_to_datum(v: &Value, t: PrimitiveType) -> Result<Datum> {
    if !v.fits(t) {
        return Err(IcebergError::invalid(format!(
            "value {v:?} is not a {}",
            t.name()
        )));
    }
    Ok(match v {
        Value::Boolean(b) => Datum::Boolean(*b),
        Value::Int(i) | Value::Date(i) => Datum::Int(*i),
        Value::Long(l) | Value::Time(l) | Value::Timestamp(l) | Value::Timestamptz(l) => Datum::Long(*l),
        Value::Float(f) => Datum::Float(*f),
        Value::Double(d) => Datum::Double(*d),
        Value::String(s) => Datum::String(s.clone()),
        Value::Uuid(u) => Datum::Fixed(u.to_vec()),
        Value::Fixed(b) => Datum::Fixed(b.clone()),
        Value::Binary(b) => Datum::Bytes(b.clone()),
        Value::Decimal(d) => {
            let PrimitiveType::Decimal { precision, .. } = t else {
                return Err(IcebergError::invalid("decimal value of a non-decimal type"));
            };
            let n = decimal_required_bytes(precision);
            Datum::Fixed(d.to_be_bytes()[16 - n..].to_vec())
        }
    })
}

/// A primitive value from its Avro datum.
pub(crate) fn datum_to_value(d: &Datum, t: PrimitiveType) -> Result<Value> {
    let bad = || IcebergError::invalid(format!("Avro {} cannot be a {}", d.kind_name(), t.name()));
    Ok(match (t, d) {
        (PrimitiveType::Boolean, Datum::Boolean(b)) => Value::Boolean(*b),
        (PrimitiveType::Int, Datum::Int(i)) => Value::Int(*i),
        (PrimitiveType::Date, Datum::Int(i)) => Value::Date(*i),
        (PrimitiveType::Long, Datum::Long(l)) => Value::Long(*l),
        (PrimitiveType::Long, Datum::Int(i)) => Value::Long((*i).into()),
        (PrimitiveType::Time, Datum::Long(l)) => Value::Time(*l),
        (PrimitiveType::Timestamp, Datum::Long(l)) => Value::Timestamp(*l),
        (PrimitiveType::Timestamptz, Datum::Long(l)) => Value::Timestamptz(*l),
        (PrimitiveType::Float, Datum::Float(f)) => Value::Float(*f),
        (PrimitiveType::Double, Datum::Double(f)) => Value::Double(*f),
        (PrimitiveType::String, Datum::String(s)) => Value::String(s.clone()),
        (PrimitiveType::Uuid, Datum::Fixed(b)) => Value::Uuid(b.as_slice().try_into().map_err(|_| bad())?),
        (PrimitiveType::Uuid, Datum::String(s)) => {
            Value::Uuid(*uuid::Uuid::parse_str(s).map_err(|_| bad())?.as_bytes())
        }
        (PrimitiveType::Fixed(_), Datum::Fixed(b)) => Value::Fixed(b.clone()),
        (PrimitiveType::Binary, Datum::Bytes(b)) => Value::Binary(b.clone()),
        (PrimitiveType::Decimal { .. }, Datum::Fixed(b) | Datum::Bytes(b)) => Value::from_bytes(t, b)?,
        _ => return Err(bad()),
    })
}

/// A decoded record's fields by Iceberg field id: each with its (union-free) type and value;
/// a null optional is absent.
#[derive(Debug)]
pub(crate) struct Fields<'a> {
    schema: &'a AvroSchema,
    by_id: BTreeMap<i32, (TypeId, &'a Datum)>,
    what: &'static str,
}

/// Strips a union: the branch's type and value, or `None` for null.
pub(crate) fn strip<'a>(schema: &'a AvroSchema, ty: TypeId, d: &'a Datum) -> Option<(TypeId, &'a Datum)> {
    match (schema.node(ty), d) {
        (Node::Union(branches), Datum::Union(i, inner)) => {
            let branch = *branches.get(*i as usize)?;
            strip(schema, branch, inner)
        }
        (_, Datum::Null) => None,
        _ => Some((ty, d)),
    }
}

impl<'a> Fields<'a> {
    /// The fields of record `d` of type `ty`.
    pub(crate) fn of(
        schema: &'a AvroSchema,
        ty: TypeId,
        d: &'a Datum,
        what: &'static str,
    ) -> Result<Fields<'a>> {
        let (Node::Record(rec), Datum::Record(values)) = (schema.node(ty), d) else {
            return Err(IcebergError::invalid(format!("{what} is not an Avro record")));
        };
        let mut by_id = BTreeMap::new();
        for (field, value) in rec.fields.iter().zip(values) {
            let id = field
                .props
                .iter()
                .find(|(k, _)| k == "field-id")
                .and_then(|(_, v)| v.as_i64())
                .and_then(|v| i32::try_from(v).ok());
            if let (Some(id), Some(stripped)) = (id, strip(schema, field.ty, value)) {
                by_id.insert(id, stripped);
            }
        }
        Ok(Fields { schema, by_id, what })
    }

    /// The Avro schema the record was decoded with.
    pub(crate) fn schema(&self) -> &'a AvroSchema {
        self.schema
    }

    fn missing(&self, id: i32) -> IcebergError {
        IcebergError::invalid(format!("{} lacks required field {id}", self.what))
    }

    pub(crate) fn get(&self, id: i32) -> Option<(TypeId, &'a Datum)> {
        self.by_id.get(&id).copied()
    }

    pub(crate) fn record(&self, id: i32, what: &'static str) -> Result<Fields<'a>> {
        let (ty, d) = self.get(id).ok_or_else(|| self.missing(id))?;
        Fields::of(self.schema, ty, d, what)
    }

    pub(crate) fn opt_long(&self, id: i32) -> Result<Option<i64>> {
        match self.get(id) {
            None => Ok(None),
            Some((_, Datum::Long(v))) => Ok(Some(*v)),
            Some((_, Datum::Int(v))) => Ok(Some((*v).into())),
            Some((_, d)) => Err(IcebergError::invalid(format!(
                "{} field {id} is a {}",
                self.what,
                d.kind_name()
            ))),
        }
    }

    pub(crate) fn long(&self, id: i32) -> Result<i64> {
        self.opt_long(id)?.ok_or_else(|| self.missing(id))
    }

    pub(crate) fn opt_int(&self, id: i32) -> Result<Option<i32>> {
        self.opt_long(id)?
            .map(|v| {
                i32::try_from(v).map_err(|_| IcebergError::invalid(format!("field {id} out of int range")))
            })
            .transpose()
    }

    pub(crate) fn int(&self, id: i32) -> Result<i32> {
        self.opt_int(id)?.ok_or_else(|| self.missing(id))
    }

    pub(crate) fn opt_bool(&self, id: i32) -> Option<bool> {
        match self.get(id) {
            Some((_, Datum::Boolean(b))) => Some(*b),
            _ => None,
        }
    }

    pub(crate) fn string(&self, id: i32) -> Result<String> {
        match self.get(id) {
            Some((_, Datum::String(s))) => Ok(s.clone()),
            _ => Err(self.missing(id)),
        }
    }

    pub(crate) fn opt_bytes(&self, id: i32) -> Option<Vec<u8>> {
        match self.get(id) {
            Some((_, Datum::Bytes(b) | Datum::Fixed(b))) => Some(b.clone()),
            _ => None,
        }
    }

    /// An array's elements with their (union-free) types.
    pub(crate) fn array(&self, id: i32) -> Option<Vec<(TypeId, &'a Datum)>> {
        let (ty, d) = self.get(id)?;
        let (Node::Array { items, .. }, Datum::Array(elems)) = (self.schema.node(ty), d) else {
            return None;
        };
        Some(
            elems
                .iter()
                .filter_map(|e| strip(self.schema, *items, e))
                .collect(),
        )
    }

    /// An int-keyed map stored as an array of key/value records (first field the key).
    pub(crate) fn int_map(&self, id: i32) -> Result<BTreeMap<i32, &'a Datum>> {
        let mut out = BTreeMap::new();
        for (_, entry) in self.array(id).unwrap_or_default() {
            if let Datum::Record(kv) = entry
                && let [Datum::Int(k), v] = kv.as_slice()
            {
                out.insert(*k, v);
            } else {
                return Err(IcebergError::invalid(format!(
                    "{} map {id} entry is not a key/value record",
                    self.what
                )));
            }
        }
        Ok(out)
    }

    pub(crate) fn long_map(&self, id: i32) -> Result<BTreeMap<i32, i64>> {
        self.int_map(id)?
            .into_iter()
            .map(|(k, v)| match v {
                Datum::Long(l) => Ok((k, *l)),
                _ => Err(IcebergError::invalid(format!(
                    "{} map {id} value is not a long",
                    self.what
                ))),
            })
            .collect()
    }

    pub(crate) fn bytes_map(&self, id: i32) -> Result<BTreeMap<i32, Vec<u8>>> {
        self.int_map(id)?
            .into_iter()
            .map(|(k, v)| match v {
                Datum::Bytes(b) => Ok((k, b.clone())),
                _ => Err(IcebergError::invalid(format!(
                    "{} map {id} value is not bytes",
                    self.what
                ))),
            })
            .collect()
    }
}

/// An int-keyed map as the array-of-records datum (`None` when empty: writers leave empty
/// metrics out).
pub(crate) fn map_datum<V>(map: &BTreeMap<i32, V>, value: impl Fn(&V) -> Datum) -> Datum {
    if map.is_empty() {
        return opt(None);
    }
    opt(Some(Datum::Array(
        map.iter()
            .map(|(k, v)| Datum::Record(vec![Datum::Int(*k), value(v)]))
            .collect(),
    )))
}
