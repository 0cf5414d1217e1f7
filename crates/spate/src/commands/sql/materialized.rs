//! A query's result as a table, kept from its changelog the way Flink's SQL client keeps it in
//! `table` result mode (`MaterializedCollectStreamResult`): an insertion or update-after adds
//! its row at the end; an update-before or deletion removes the newest row equal to it, so an
//! updated row moves to the end. A retraction of a row the table does not hold changes
//! nothing.

/// The rows of a result table, each as its shown values.
#[derive(Debug, Default)]
pub(super) struct MaterializedTable {
    rows: Vec<Vec<String>>,
}

impl MaterializedTable {
    /// Applies one change: `op` is `+I`, `-U`, `+U` or `-D`.
    pub(super) fn apply(&mut self, op: &str, values: Vec<String>) {
        match op {
            "-U" | "-D" => {
                if let Some(i) = self.rows.iter().rposition(|r| *r == values) {
                    self.rows.remove(i);
                }
            }
            _ => self.rows.push(values),
        }
    }

    /// The rows, oldest change first.
    pub(super) fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn updates_replace_rows_and_move_them_to_the_end() {
        let mut t = MaterializedTable::default();
        t.apply("+I", row(&["1", "5"]));
        t.apply("+I", row(&["2", "3"]));
        t.apply("-U", row(&["1", "5"]));
        t.apply("+U", row(&["1", "12"]));
        assert_eq!(t.rows(), [row(&["2", "3"]), row(&["1", "12"])]);
        t.apply("-D", row(&["2", "3"]));
        // A retraction of a row the table never held changes nothing.
        t.apply("-D", row(&["9", "9"]));
        assert_eq!(t.rows(), [row(&["1", "12"])]);
    }

    #[test]
    fn a_retraction_removes_the_newest_of_equal_rows() {
        let mut t = MaterializedTable::default();
        for (op, v) in [("+I", "a"), ("+I", "b"), ("+I", "a"), ("-U", "a")] {
            t.apply(op, row(&[v]));
        }
        assert_eq!(t.rows(), [row(&["a"]), row(&["b"])]);
    }
}
