//! Column metrics of a data file for its manifest entry, read back from the Parquet footer
//! just written (Iceberg's `ParquetUtil.fileMetrics`): per top-level or struct leaf column, by
//! field id, the value and null counts and the lower and upper bounds in Iceberg's
//! single-value serialization. Readers prune files with them (pyiceberg's `row_filter`, Spark,
//! Trino). Bounds follow Iceberg's default metrics mode `truncate(16)`: a string or binary
//! longer than 16 keeps a truncated lower bound and no upper bound; NaN never bounds a float
//! (arrow-rs leaves NaN out of its statistics). Columns inside lists and maps get none, as in
//! Iceberg.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::statistics::Statistics;
use spate_iceberg::{DataFile, PrimitiveType, Schema, Value as IcebergValue};

/// Iceberg's default `write.metadata.metrics.default` = `truncate(16)`.
const TRUNCATE: usize = 16;

/// One column's metrics over the row groups so far.
#[derive(Default)]
struct Column {
    values: i64,
    /// `None` once a row group did not count its nulls.
    nulls: Option<i64>,
    lower: Option<IcebergValue>,
    upper: Option<IcebergValue>,
    /// A row group had no lower (upper) bound: the file has none.
    no_lower: bool,
    no_upper: bool,
}

impl Column {
    fn add(&mut self, values: i64, stats: Option<&Statistics>, t: PrimitiveType) {
        self.values += values;
        self.nulls = match (self.nulls, stats.and_then(Statistics::null_count_opt)) {
            (Some(n), Some(m)) => Some(n.saturating_add(i64::try_from(m).unwrap_or(i64::MAX))),
            _ => None,
        };
        match stats.and_then(|s| bounds(s, t)) {
            None => (self.no_lower, self.no_upper) = (true, true),
            Some((lo, hi)) => {
                if self
                    .lower
                    .as_ref()
                    .is_none_or(|l| order(&lo, l) == Some(Ordering::Less))
                {
                    self.lower = Some(lo);
                }
                match hi {
                    None => self.no_upper = true,
                    Some(hi) => {
                        if self
                            .upper
                            .as_ref()
                            .is_none_or(|u| order(&hi, u) == Some(Ordering::Greater))
                        {
                            self.upper = Some(hi);
                        }
                    }
                }
            }
        }
    }
}

/// Adds the metrics of the Parquet file at `path` to `file`.
pub(crate) fn add_metrics(file: &mut DataFile, path: &Path, schema: &Schema) -> Result<(), String> {
    let f = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader = SerializedFileReader::new(f).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut columns: BTreeMap<i32, Column> = BTreeMap::new();
    for group in reader.metadata().row_groups() {
        for chunk in group.columns() {
            let descr = chunk.column_descr();
            let info = descr.self_type().get_basic_info();
            if descr.max_rep_level() > 0 || !info.has_id() {
                continue;
            }
            let Some(t) = schema.field_type(info.id()).and_then(|t| t.as_primitive()) else {
                continue;
            };
            let c = columns.entry(info.id()).or_insert_with(|| Column {
                nulls: Some(0),
                ..Column::default()
            });
            c.add(chunk.num_values(), chunk.statistics(), t);
        }
    }
    for (id, c) in columns {
        file.value_counts.insert(id, c.values);
        if let Some(n) = c.nulls {
            file.null_value_counts.insert(id, n);
        }
        if let (Some(lo), false) = (c.lower, c.no_lower) {
            file.lower_bounds.insert(id, lo.to_bytes());
        }
        if let (Some(hi), false) = (c.upper, c.no_upper) {
            file.upper_bounds.insert(id, hi.to_bytes());
        }
    }
    Ok(())
}

/// A row group's lower and (unless truncated away) upper bound of a column of type `t`.
fn bounds(s: &Statistics, t: PrimitiveType) -> Option<(IcebergValue, Option<IcebergValue>)> {
    use IcebergValue as V;
    use PrimitiveType as P;
    let pair = |lo: V, hi: V| Some((lo, Some(hi)));
    match (s, t) {
        (Statistics::Boolean(v), P::Boolean) => pair(V::Boolean(*v.min_opt()?), V::Boolean(*v.max_opt()?)),
        (Statistics::Int32(v), P::Int) => pair(V::Int(*v.min_opt()?), V::Int(*v.max_opt()?)),
        (Statistics::Int32(v), P::Date) => pair(V::Date(*v.min_opt()?), V::Date(*v.max_opt()?)),
        (Statistics::Int64(v), P::Long) => pair(V::Long(*v.min_opt()?), V::Long(*v.max_opt()?)),
        (Statistics::Int64(v), P::Time) => pair(V::Time(*v.min_opt()?), V::Time(*v.max_opt()?)),
        (Statistics::Int64(v), P::Timestamp) => {
            pair(V::Timestamp(*v.min_opt()?), V::Timestamp(*v.max_opt()?))
        }
        (Statistics::Int64(v), P::Timestamptz) => {
            pair(V::Timestamptz(*v.min_opt()?), V::Timestamptz(*v.max_opt()?))
        }
        (Statistics::Float(v), P::Float) => {
            let (lo, hi) = (*v.min_opt()?, *v.max_opt()?);
            (!lo.is_nan() && !hi.is_nan()).then_some((V::Float(lo), Some(V::Float(hi))))
        }
        (Statistics::Double(v), P::Double) => {
            let (lo, hi) = (*v.min_opt()?, *v.max_opt()?);
            (!lo.is_nan() && !hi.is_nan()).then_some((V::Double(lo), Some(V::Double(hi))))
        }
        (Statistics::ByteArray(v), P::String) => {
            let lo = std::str::from_utf8(v.min_opt()?.data()).ok()?;
            let hi = std::str::from_utf8(v.max_opt()?.data()).ok()?;
            let lo: String = lo.chars().take(TRUNCATE).collect();
            let hi = (hi.chars().count() <= TRUNCATE).then(|| V::String(hi.to_string()));
            Some((V::String(lo), hi))
        }
        (Statistics::ByteArray(v), P::Binary) => {
            let lo = v.min_opt()?.data();
            let hi = v.max_opt()?.data();
            let lo = lo.get(..TRUNCATE).unwrap_or(lo).to_vec();
            let hi = (hi.len() <= TRUNCATE).then(|| V::Binary(hi.to_vec()));
            Some((V::Binary(lo), hi))
        }
        (Statistics::FixedLenByteArray(v), P::Decimal { .. }) => pair(
            V::Decimal(big_endian(v.min_opt()?.data())?),
            V::Decimal(big_endian(v.max_opt()?.data())?),
        ),
        _ => None,
    }
}

/// A big-endian two's-complement integer of up to 16 bytes.
fn big_endian(bytes: &[u8]) -> Option<i128> {
    if bytes.is_empty() || bytes.len() > 16 {
        return None;
    }
    let fill = if bytes[0] & 0x80 != 0 { 0xff } else { 0 };
    let mut full = [fill; 16];
    full[16 - bytes.len()..].copy_from_slice(bytes);
    Some(i128::from_be_bytes(full))
}

/// The order of two bounds of one column (strings and binary by unsigned bytes, as Iceberg).
fn order(a: &IcebergValue, b: &IcebergValue) -> Option<Ordering> {
    use IcebergValue as V;
    match (a, b) {
        (V::Boolean(x), V::Boolean(y)) => Some(x.cmp(y)),
        (V::Int(x), V::Int(y)) | (V::Date(x), V::Date(y)) => Some(x.cmp(y)),
        (V::Long(x), V::Long(y))
        | (V::Time(x), V::Time(y))
        | (V::Timestamp(x), V::Timestamp(y))
        | (V::Timestamptz(x), V::Timestamptz(y)) => Some(x.cmp(y)),
        (V::Float(x), V::Float(y)) => x.partial_cmp(y),
        (V::Double(x), V::Double(y)) => x.partial_cmp(y),
        (V::String(x), V::String(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (V::Binary(x), V::Binary(y)) => Some(x.cmp(y)),
        (V::Decimal(x), V::Decimal(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_endian_decimals_sign_extend() {
        assert_eq!(big_endian(&[0xff, 0x1f]), Some(-225));
        assert_eq!(big_endian(&[0x00, 0x96]), Some(150));
        assert_eq!(big_endian(&[]), None);
    }

    #[test]
    fn bounds_compare_within_a_type_only() {
        use IcebergValue as V;
        assert_eq!(
            order(&V::String("a".into()), &V::String("b".into())),
            Some(Ordering::Less)
        );
        assert_eq!(order(&V::Int(1), &V::Long(1)), None);
    }
}
