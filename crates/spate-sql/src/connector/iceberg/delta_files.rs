//! One subtask's files of a checkpoint for a table with equality fields (its primary key):
//! data files, equality-delete files and position-delete files, written as Flink's
//! `BaseDeltaTaskWriter` writes them.
//!
//! - `+I`/`+U` writes the row; in upsert mode (`write.upsert.enabled`) its key is deleted
//!   first, so the row replaces whatever the table holds for the key.
//! - `-D` deletes the row's key; `-U` too, except in upsert mode, where the `+U` that
//!   follows deletes the key (and a `-U` alone would delete it twice).
//! - Deleting a key this subtask wrote in the same checkpoint is a position delete of that
//!   row (an equality delete would not remove it: the snapshot's own data files share its
//!   sequence number); any other key gets an equality delete, which removes the key's rows
//!   in every earlier snapshot. Writing a key written before in the checkpoint also deletes
//!   the earlier row by position.
//! - Equality-delete rows hold the key columns in upsert mode (the rest of the deleted row
//!   is unknown) and the whole old row otherwise, as Flink writes them.
//!
//! All changes of a key must reach one subtask (the sink is keyed by the primary key), or two
//! subtasks' rows of a key would both survive a checkpoint.

use std::collections::HashMap;
use std::sync::Arc;

use spate_engine::EngineError;
use spate_iceberg::{DataContent, DataFile};

use super::data_files::DataFiles;
use super::position_deletes::PositionDeletes;
use crate::value::{Row, RowKind, Value};

/// How the changes of a keyed table are written (shared by the subtasks).
#[derive(Debug, Clone)]
pub(crate) struct DeltaSettings {
    /// Row positions of the key (equality field) columns.
    pub(crate) key: Arc<[usize]>,
    /// The key's field ids, which equality-delete files name.
    pub(crate) equality_ids: Vec<i32>,
    /// `write.upsert.enabled`.
    pub(crate) upsert: bool,
}

/// See the module docs.
pub(crate) struct DeltaFiles {
    data: DataFiles,
    /// Laid out as the key row in upsert mode, as the whole row otherwise.
    equality: DataFiles,
    positions: PositionDeletes,
    settings: Arc<DeltaSettings>,
    /// The rows written in this checkpoint, by key: their data file and position.
    inserted: HashMap<Vec<Value>, (usize, u64)>,
}

impl DeltaFiles {
    pub(crate) fn new(
        data: DataFiles,
        equality: DataFiles,
        positions: PositionDeletes,
        settings: Arc<DeltaSettings>,
    ) -> Self {
        Self {
            data,
            equality,
            positions,
            settings,
            inserted: HashMap::new(),
        }
    }

    /// Whether nothing was written since the last [`close`](Self::close).
    pub(crate) fn is_empty(&self) -> bool {
        self.data.is_empty() && self.equality.is_empty() && self.inserted.is_empty()
    }

    fn key_of(&self, row: &Row) -> Vec<Value> {
        self.settings
            .key
            .iter()
            .map(|&c| row.get(c).cloned().unwrap_or_default())
            .collect()
    }

    /// Writes changes (see the module docs).
    pub(crate) fn write(&mut self, changes: impl Iterator<Item = (Row, RowKind)>) -> Result<(), EngineError> {
        let upsert = self.settings.upsert;
        for (row, kind) in changes {
            match kind {
                RowKind::Insert | RowKind::UpdateAfter => {
                    let key = self.key_of(&row);
                    if upsert {
                        self.delete(&key, |k| k.to_vec())?;
                    }
                    let placed = self.data.push(row)?;
                    if let Some(earlier) = self.inserted.insert(key, placed) {
                        self.delete_position(earlier);
                    }
                }
                RowKind::UpdateBefore if upsert => {}
                RowKind::UpdateBefore | RowKind::Delete => {
                    let key = self.key_of(&row);
                    if upsert {
                        self.delete(&key, |k| k.to_vec())?;
                    } else {
                        self.delete(&key, |_| row)?;
                    }
                }
            }
        }
        self.data.flush()?;
        self.equality.flush()
    }

    /// Deletes the rows of `key`: by position when this checkpoint wrote it, else by an
    /// equality delete holding `image(key)`.
    fn delete(&mut self, key: &[Value], image: impl FnOnce(&[Value]) -> Row) -> Result<(), EngineError> {
        match self.inserted.remove(key) {
            Some(earlier) => self.delete_position(earlier),
            None => {
                self.equality.push(image(key))?;
            }
        }
        Ok(())
    }

    fn delete_position(&mut self, (file, pos): (usize, u64)) {
        if let Some(f) = self.data.file(file) {
            self.positions.delete(f.location, f.dir, f.partition, pos);
        }
    }

    /// Closes the checkpoint's files: data, equality deletes, position deletes.
    pub(crate) fn close(&mut self) -> Result<Vec<DataFile>, EngineError> {
        // Position deletes name the data files by location; those stay valid once closed.
        let mut out = self.data.close()?;
        for mut f in self.equality.close()? {
            f.content = DataContent::EqualityDeletes;
            f.equality_ids = Some(self.settings.equality_ids.clone());
            out.push(f);
        }
        out.extend(self.positions.close()?);
        self.inserted.clear();
        Ok(out)
    }
}
