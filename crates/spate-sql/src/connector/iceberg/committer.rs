//! The one committer of a sink's subtasks (Flink's `IcebergFilesCommitter`, which runs at
//! parallelism 1 behind the writers): every subtask of the sink holds the same [`Committer`]
//! (all in this process) and hands it, when a checkpoint completes, the data files it closed
//! at that checkpoint and earlier. Once every subtask has handed over its files of checkpoint
//! `k` (it reported `k` or later), the files of checkpoints `<= k` of every subtask are
//! committed as one snapshot whose summary says `flink.max-committed-checkpoint-id = k`. So a
//! snapshot never holds part of a checkpoint, and after a crash "checkpoint `k` committed"
//! means every file of every checkpoint `<= k` is in the table.
//!
//! Checkpoints without files commit nothing, but every `flink.max-continuous-empty-commits`-th
//! (10 by default) commits an empty snapshot, as Flink does, so the table shows the job alive.
//! A restart begins a new attempt: the first subtask to open in it clears what the failed
//! attempt gathered; the restored checkpoint brings back the files still uncommitted.

use std::collections::BTreeMap;

use spate_iceberg::flink::FlinkCommitter;
use spate_iceberg::{
    Catalog, CheckpointCommit, CommitOutcome, DataContent, DataFile, TableIdent, commit_files,
};

/// A checkpoint's files, by checkpoint.
pub(crate) type FilesByCheckpoint = BTreeMap<u64, Vec<DataFile>>;

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct Committer {
    attempt: Option<u64>,
    parallelism: usize,
    /// Per subtask: the latest checkpoint it reported (`u64::MAX` once finished).
    reported: BTreeMap<usize, u64>,
    /// Handed-over files not committed yet, per checkpoint and subtask.
    files: BTreeMap<u64, BTreeMap<usize, Vec<DataFile>>>,
    /// The last checkpoint committed (or found committed) in this attempt.
    committed: Option<u64>,
    empty_in_a_row: u32,
}

/// What to commit now: the files of checkpoints `<= checkpoint`, by checkpoint.
#[derive(Debug)]
pub(crate) struct Due {
    pub(crate) checkpoint: u64,
    pub(crate) files: FilesByCheckpoint,
}

impl Due {
    /// Every file, in checkpoint order.
    pub(crate) fn all_files(&self) -> impl Iterator<Item = &DataFile> {
        self.files.values().flatten()
    }
}

impl Committer {
    /// A subtask of `attempt` opened, one of `parallelism`: a new attempt starts empty.
    pub(crate) fn join(&mut self, attempt: u64, parallelism: usize) {
        if self.attempt != Some(attempt) {
            *self = Committer {
                attempt: Some(attempt),
                parallelism: parallelism.max(1),
                ..Committer::default()
            };
        }
    }

    /// The last checkpoint whose files are all committed, in this attempt.
    pub(crate) fn committed(&self) -> Option<u64> {
        self.committed
    }

    /// `subtask` completed checkpoint `checkpoint` (or finished, `u64::MAX`) and hands over its
    /// uncommitted files of checkpoints up to it (again the ones it handed over before: the
    /// same checkpoint's files replace them). Returns what became due, if anything, with
    /// `empty_every` the table's `flink.max-continuous-empty-commits`.
    pub(crate) fn report(
        &mut self,
        subtask: usize,
        checkpoint: u64,
        files: &FilesByCheckpoint,
        empty_every: u32,
    ) -> Option<Due> {
        let entry = self.reported.entry(subtask).or_insert(checkpoint);
        *entry = (*entry).max(checkpoint);
        for (c, f) in files.range(..=checkpoint) {
            if self.committed.is_none_or(|done| *c > done) {
                self.files.entry(*c).or_default().insert(subtask, f.clone());
            }
        }
        if self.reported.len() < self.parallelism {
            return None;
        }
        let common = self.reported.values().copied().min()?;
        if self.committed.is_some_and(|done| common <= done) {
            return None;
        }
        let later = match common.checked_add(1) {
            Some(next) => self.files.split_off(&next),
            None => BTreeMap::new(),
        };
        let due: FilesByCheckpoint = std::mem::replace(&mut self.files, later)
            .into_iter()
            .map(|(c, by_subtask)| (c, by_subtask.into_values().flatten().collect::<Vec<_>>()))
            .filter(|(_, files)| !files.is_empty())
            .collect();
        self.committed = Some(common);
        if due.is_empty() {
            self.empty_in_a_row += 1;
            // The end of input (u64::MAX) has nothing to say when nothing is left.
            if self.empty_in_a_row < empty_every.max(1) || common == u64::MAX {
                return None;
            }
        }
        self.empty_in_a_row = 0;
        Some(Due {
            checkpoint: common,
            files: due,
        })
    }
}

/// Commits `due` for `committer` (`i64::MAX` is the end of input, as Flink's
/// `Long.MAX_VALUE`); a checkpoint the table already has is not committed again. Data files
/// alone go in as one snapshot of the latest checkpoint. With delete files every checkpoint
/// is a snapshot of its own, in order, as Flink's `commitDeltaTxn` does: a checkpoint's
/// equality deletes must apply to the rows of the checkpoints before it, and they apply only
/// to files of a lower sequence number. Returns how many snapshots were made.
pub(crate) fn commit(
    catalog: &dyn Catalog,
    ident: &TableIdent,
    committer: &FlinkCommitter,
    due: Due,
) -> Result<usize, spate_iceberg::IcebergError> {
    let deltas = due.all_files().any(|f| f.content != DataContent::Data);
    let batches: Vec<(u64, Vec<DataFile>)> = if deltas {
        due.files.into_iter().collect()
    } else {
        vec![(due.checkpoint, due.files.into_values().flatten().collect())]
    };
    let mut made = 0;
    for (checkpoint, files) in batches {
        let checkpoint = CheckpointCommit {
            committer: committer.clone(),
            checkpoint_id: i64::try_from(checkpoint).unwrap_or(i64::MAX),
        };
        let outcome = commit_files(catalog, ident, files, &BTreeMap::new(), Some(&checkpoint), None)?;
        made += usize::from(matches!(outcome, CommitOutcome::Committed(_)));
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(entries: &[(u64, &str)]) -> FilesByCheckpoint {
        let mut m = FilesByCheckpoint::new();
        for (c, path) in entries {
            m.entry(*c)
                .or_default()
                .push(DataFile::parquet(*path, Vec::new(), 1, 10));
        }
        m
    }

    fn paths(due: &Due) -> Vec<&str> {
        let mut p: Vec<&str> = due.all_files().map(|f| f.file_path.as_str()).collect();
        p.sort_unstable();
        p
    }

    #[test]
    fn a_checkpoint_commits_once_every_subtask_handed_over_its_files() {
        let mut c = Committer::default();
        c.join(1, 2);
        assert!(c.report(0, 3, &files(&[(2, "a2"), (3, "a3")]), 10).is_none());
        // Subtask 1 skipped the notification of 3 and reports 4: checkpoint 3 is common, and
        // its checkpoint-4 file waits for subtask 0's.
        let due = c.report(1, 4, &files(&[(3, "b3"), (4, "b4")]), 10).expect("due");
        assert_eq!(due.checkpoint, 3);
        assert_eq!(paths(&due), ["a2", "a3", "b3"]);
        assert_eq!(c.committed(), Some(3));
        // Reported again with its older files, subtask 0 adds only what is new.
        let due = c.report(0, 4, &files(&[(2, "a2"), (4, "a4")]), 10).expect("due");
        assert_eq!((due.checkpoint, paths(&due)), (4, vec!["a4", "b4"]));
    }

    #[test]
    fn empty_checkpoints_commit_every_nth_time() {
        let mut c = Committer::default();
        c.join(0, 1);
        let none = FilesByCheckpoint::new();
        assert!(c.report(0, 1, &none, 3).is_none());
        assert!(c.report(0, 2, &none, 3).is_none());
        let due = c.report(0, 3, &none, 3).expect("the third empty one commits");
        assert!(due.files.is_empty());
        assert!(c.report(0, 4, &none, 3).is_none());
    }

    #[test]
    fn finished_subtasks_hold_nothing_back_and_a_new_attempt_starts_empty() {
        let mut c = Committer::default();
        c.join(0, 2);
        assert!(c.report(1, u64::MAX, &files(&[(5, "b5")]), 10).is_none());
        let due = c.report(0, 6, &files(&[(6, "a6")]), 10).expect("due");
        assert_eq!((due.checkpoint, paths(&due)), (6, vec!["a6", "b5"]));
        c.join(1, 2);
        assert_eq!(c.committed(), None);
    }

    #[test]
    fn checkpoints_with_deletes_commit_one_snapshot_each_in_order() {
        use spate_iceberg::{
            HadoopCatalog, NestedField, PrimitiveType, Schema, TableCreation, load_or_create_table,
        };
        let dir = tempfile::tempdir().unwrap();
        let catalog = HadoopCatalog::new("lake", dir.path().to_str().unwrap()).unwrap();
        let ident = TableIdent::new("db", "t");
        let schema =
            Schema::with_fresh_ids(vec![NestedField::required(0, "id", PrimitiveType::Long)], &["id"])
                .unwrap();
        load_or_create_table(&catalog, &ident, &TableCreation::new(schema)).unwrap();
        let committer = FlinkCommitter {
            job_id: "job".into(),
            operator_id: "op".into(),
        };
        let mut due = files(&[(3, "a3"), (4, "a4")]);
        let mut delete = DataFile::parquet("e4", Vec::new(), 1, 10);
        delete.content = DataContent::EqualityDeletes;
        delete.equality_ids = Some(vec![1]);
        due.entry(4).or_default().push(delete);
        let made = commit(
            &catalog,
            &ident,
            &committer,
            Due {
                checkpoint: 4,
                files: due.clone(),
            },
        )
        .unwrap();
        assert_eq!(
            made, 2,
            "checkpoint 4's deletes must not share checkpoint 3's sequence number"
        );
        let table = catalog.load_table(&ident).unwrap().unwrap();
        let checkpoints: Vec<(Option<&str>, Option<&str>)> = table
            .metadata
            .snapshots
            .iter()
            .map(|s| {
                (
                    s.summary_value("flink.max-committed-checkpoint-id"),
                    s.summary_value("operation"),
                )
            })
            .collect();
        assert_eq!(
            checkpoints,
            [(Some("3"), Some("append")), (Some("4"), Some("overwrite"))]
        );
        // Committed again (a restored run), nothing is repeated.
        let again = commit(
            &catalog,
            &ident,
            &committer,
            Due {
                checkpoint: 4,
                files: due,
            },
        )
        .unwrap();
        assert_eq!(again, 0);
    }
}
