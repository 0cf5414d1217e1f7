//! Rows compared while still encoded (as [`super::packed_rows`] encodes values): packed
//! state finds the entry a change names without decoding the entries it passes over.
//! Comparisons are those of [`Value`](crate::value::Value)s (floats by their grouping key).

use smallvec::SmallVec;

use crate::value::Row;

use super::packed_rows::{UnpackError, next_value, value_encodings_equal, write_value};

/// A row encoded once, with where each column's encoding starts.
#[derive(Debug, Default, Clone)]
pub(crate) struct EncodedRow {
    pub(crate) bytes: Vec<u8>,
    starts: SmallVec<[usize; 16]>,
}

impl EncodedRow {
    pub(crate) fn encode(&mut self, row: &Row) {
        self.bytes.clear();
        self.starts.clear();
        for v in row {
            self.starts.push(self.bytes.len());
            write_value(v, &mut self.bytes, f64::to_bits);
        }
    }

    pub(crate) fn column(&self, c: usize) -> &[u8] {
        let start = self.starts.get(c).copied().unwrap_or(self.bytes.len());
        let end = self.starts.get(c + 1).copied().unwrap_or(self.bytes.len());
        &self.bytes[start..end]
    }
}

/// Whether the encoded rows `a` and `b` hold equal values, column by column.
pub(crate) fn rows_equal(mut a: &[u8], mut b: &[u8]) -> Result<bool, UnpackError> {
    if a == b {
        return Ok(true);
    }
    while !a.is_empty() && !b.is_empty() {
        if !value_encodings_equal(next_value(&mut a)?, next_value(&mut b)?)? {
            return Ok(false);
        }
    }
    Ok(a.is_empty() && b.is_empty())
}

/// Whether the encoded row `entry` has `row`'s values in the columns `key`.
pub(crate) fn key_equal(entry: &[u8], row: &EncodedRow, key: &[usize]) -> Result<bool, UnpackError> {
    let mut spans: SmallVec<[&[u8]; 16]> = SmallVec::new();
    let mut rest = entry;
    while !rest.is_empty() {
        spans.push(next_value(&mut rest)?);
    }
    for &c in key {
        let Some(span) = spans.get(c) else {
            return Ok(false);
        };
        if !value_encodings_equal(span, row.column(c))? {
            return Ok(false);
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    fn encoded(row: &Row) -> EncodedRow {
        let mut e = EncodedRow::default();
        e.encode(row);
        e
    }

    #[test]
    fn rows_and_keys_compare_as_values_do() {
        let a = vec![Value::Int(1), Value::Float(0.0), Value::String("x".into())];
        let b = vec![Value::Int(1), Value::Float(-0.0), Value::String("y".into())];
        let (ea, eb) = (encoded(&a), encoded(&b));
        assert_eq!(ea.column(2), &[6, 1, b'x']);
        assert_eq!(rows_equal(&ea.bytes, &ea.bytes), Ok(true));
        assert_eq!(rows_equal(&ea.bytes, &eb.bytes), Ok(false));
        assert_eq!(key_equal(&ea.bytes, &eb, &[0, 1]), Ok(true));
        assert_eq!(key_equal(&ea.bytes, &eb, &[2]), Ok(false));
        // A shorter row is another row, and a column past the end matches nothing.
        assert_eq!(rows_equal(&ea.bytes, &encoded(&a[..2].to_vec()).bytes), Ok(false));
        assert_eq!(key_equal(&encoded(&a[..1].to_vec()).bytes, &ea, &[1]), Ok(false));
    }
}
