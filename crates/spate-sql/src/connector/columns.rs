//! Which column of a table's rows is what: physical (read and written by the format),
//! metadata (filled or written by the connector) or computed (filled by the planner's
//! [`CompleteRows`](super::CompleteRows)).

use crate::ast::{ColumnKind, TableDef};
use crate::format::FormatField;
use crate::types::DataType;

/// A metadata column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct MetadataColumn {
    /// Index in the table's rows.
    pub(crate) index: usize,
    /// The metadata key (`FROM 'key'`, or the column name).
    pub(crate) key: String,
    /// The column's type.
    pub(crate) ty: DataType,
    /// `VIRTUAL`: read-only, not in the rows a sink receives.
    pub(crate) is_virtual: bool,
}

/// The roles of a table's columns.
#[derive(Debug, Clone)]
pub(crate) struct Columns {
    /// Number of columns (the length of a scanned row).
    pub(crate) width: usize,
    /// Physical columns: index in the table's rows and the field the format sees.
    pub(crate) physical: Vec<(usize, FormatField)>,
    /// Metadata columns.
    pub(crate) metadata: Vec<MetadataColumn>,
}

impl Columns {
    pub(crate) fn of(table: &TableDef) -> Self {
        let mut physical = Vec::new();
        let mut metadata = Vec::new();
        for (index, c) in table.columns.iter().enumerate() {
            match &c.kind {
                ColumnKind::Physical(ty) => physical.push((
                    index,
                    FormatField {
                        name: c.name.as_str().to_string(),
                        ty: ty.clone(),
                    },
                )),
                ColumnKind::Metadata { ty, key, is_virtual } => metadata.push(MetadataColumn {
                    index,
                    key: key.clone().unwrap_or_else(|| c.name.as_str().to_string()),
                    ty: ty.clone(),
                    is_virtual: *is_virtual,
                }),
                ColumnKind::Computed(_) => {}
            }
        }
        Self {
            width: table.columns.len(),
            physical,
            metadata,
        }
    }

    /// Where each column of a *sink* row (physical and non-virtual metadata columns, in
    /// declaration order) sits: for physical column `i` (in physical order) its index in the
    /// sink row, and for each writable metadata column its key and index in the sink row.
    pub(crate) fn sink_layout(&self) -> SinkLayout {
        let mut persisted: Vec<(usize, Option<&MetadataColumn>)> = self
            .physical
            .iter()
            .map(|(i, _)| (*i, None))
            .chain(
                self.metadata
                    .iter()
                    .filter(|m| !m.is_virtual)
                    .map(|m| (m.index, Some(m))),
            )
            .collect();
        persisted.sort_by_key(|(i, _)| *i);
        let mut physical = Vec::new();
        let mut metadata = Vec::new();
        for (pos, (_, m)) in persisted.iter().enumerate() {
            match m {
                None => physical.push(pos),
                Some(m) => metadata.push((m.key.clone(), pos)),
            }
        }
        SinkLayout { physical, metadata }
    }
}

/// Positions in a sink row (see [`Columns::sink_layout`]).
#[derive(Debug, Clone)]
pub(crate) struct SinkLayout {
    /// Sink-row position of each physical column, in physical order.
    pub(crate) physical: Vec<usize>,
    /// Writable metadata: key and sink-row position.
    pub(crate) metadata: Vec<(String, usize)>,
}

impl SinkLayout {
    /// The sink-row position of metadata `key`, if the table writes it.
    pub(crate) fn metadata(&self, key: &str) -> Option<usize> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, p)| *p)
    }
}
