//! What the sinks of updating-capable connectors take: plain rows (an insert-only query's,
//! all insertions) or changes (an updating query's), behind one trait so that one sink
//! serves both.

use crate::value::{Change, Row, RowKind};

/// A row and what it does to the sink's table.
pub(crate) trait SinkInput: spate_engine::Data {
    /// The row and its kind.
    fn parts(&self) -> (&Row, RowKind);
    /// The row and its kind, by value.
    fn into_parts(self) -> (Row, RowKind);
}

impl SinkInput for Row {
    fn parts(&self) -> (&Row, RowKind) {
        (self, RowKind::Insert)
    }
    fn into_parts(self) -> (Row, RowKind) {
        (self, RowKind::Insert)
    }
}

impl SinkInput for Change {
    fn parts(&self) -> (&Row, RowKind) {
        (&self.row, self.kind)
    }
    fn into_parts(self) -> (Row, RowKind) {
        (self.row, self.kind)
    }
}
