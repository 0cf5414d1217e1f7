//! A projection that only picks values out of its input row — columns, and fields of `ROW`
//! columns at any depth (`bid.price`, as every Nexmark view reads its event) — evaluated by
//! moving each value out of the row it owns instead of cloning it: a picked string is neither
//! copied nor freed, and what is left of the input row is dropped as it was.

use crate::value::{Row, Value};

/// One output column: where its value is and whether it may be moved out.
#[derive(Clone)]
struct Pick {
    /// The output column it fills.
    position: usize,
    path: Vec<usize>,
    /// No other output reads this value, a value inside it or one containing it: moving it
    /// out leaves nothing another pick needs.
    take: bool,
}

/// The picks of one projection, in output order.
#[derive(Clone)]
pub(super) struct PathPicks {
    picks: Vec<Pick>,
}

impl PathPicks {
    /// Picks along `paths` (a column index, then field indexes), one per output column.
    pub(super) fn new(paths: Vec<Vec<usize>>) -> Self {
        Self::placed(paths.into_iter().enumerate().collect())
    }

    /// Picks along `paths`, each for the output column it is paired with (for
    /// [`fill`](Self::fill): the other columns are computed).
    pub(super) fn placed(paths: Vec<(usize, Vec<usize>)>) -> Self {
        let overlaps = |a: &[usize], b: &[usize]| a.starts_with(b) || b.starts_with(a);
        let picks = paths
            .iter()
            .enumerate()
            .map(|(i, (position, p))| Pick {
                position: *position,
                path: p.clone(),
                take: !paths
                    .iter()
                    .enumerate()
                    .any(|(j, (_, q))| j != i && overlaps(p, q)),
            })
            .collect();
        Self { picks }
    }

    /// The output row of `row` (whose picked values are moved out).
    pub(super) fn apply(&self, row: &mut Row) -> Row {
        self.picks.iter().map(|pick| pick.value(row)).collect()
    }

    /// Puts each picked value of `row` (moved out of it) into its column of `out`; a column of
    /// `out` past its end is skipped.
    pub(super) fn fill(&self, row: &mut Row, out: &mut [Value]) {
        for pick in &self.picks {
            if let Some(slot) = out.get_mut(pick.position) {
                *slot = pick.value(row);
            }
        }
    }
}

impl Pick {
    fn value(&self, row: &mut Row) -> Value {
        match locate(row, &self.path) {
            Some(v) if self.take => std::mem::take(v),
            Some(v) => v.clone(),
            None => Value::Null,
        }
    }
}

/// The value at `path` in `row`; `None` where a column or field is missing or a value on the
/// way is not a `ROW` (a `NULL` row: its fields are `NULL`).
fn locate<'r>(row: &'r mut Row, path: &[usize]) -> Option<&'r mut Value> {
    let (&first, rest) = path.split_first()?;
    let mut v = row.get_mut(first)?;
    for &f in rest {
        match v {
            Value::Row(fields) => v = fields.get_mut(f)?,
            _ => return None,
        }
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    #[test]
    fn picks_columns_and_nested_fields() {
        let picks = PathPicks::new(vec![vec![1, 2], vec![0], vec![1, 0]]);
        let mut row = vec![Value::Int(7), Value::Row(vec![s("a"), Value::Int(1), s("c")])];
        assert_eq!(picks.apply(&mut row), vec![s("c"), Value::Int(7), s("a")]);
    }

    #[test]
    fn a_null_or_short_row_on_the_way_gives_null() {
        let picks = PathPicks::new(vec![vec![0, 1], vec![1, 0, 0], vec![5]]);
        let mut row = vec![Value::Null, Value::Row(vec![Value::Int(3)])];
        assert_eq!(picks.apply(&mut row), vec![Value::Null, Value::Null, Value::Null]);
    }

    #[test]
    fn values_read_twice_or_inside_another_pick_are_copied() {
        // `r`, `r.0` and `r.0` again, and column 0 twice: every output is complete.
        let picks = PathPicks::new(vec![vec![1], vec![1, 0], vec![1, 0], vec![0], vec![0], vec![2]]);
        let r = Value::Row(vec![s("x"), s("y")]);
        let mut row = vec![s("k"), r.clone(), s("only")];
        assert_eq!(
            picks.apply(&mut row),
            vec![r, s("x"), s("x"), s("k"), s("k"), s("only")]
        );
        // Only the value no other output reads was moved out.
        assert_eq!(row[2], Value::Null);
        assert_eq!(row[0], s("k"));
    }
}
