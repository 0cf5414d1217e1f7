//! Planning a full scan of a table's current snapshot: the live data files of its data
//! manifests (entries added or existing, not deleted). Row-level deletes (format v2 delete
//! manifests with live files) are refused rather than ignored, since reading past them would
//! return deleted rows.

use crate::data_file::DataFile;
use crate::error::{IcebergError, Result};
use crate::io::FileIo;
use crate::manifest::{EntryStatus, read_manifest};
use crate::manifest_list::{ManifestContent, read_manifest_list};
use crate::metadata::{MAIN_BRANCH, TableMetadata};

/// The data files of `main`'s head (none for a table without snapshots), in manifest order.
pub fn live_data_files(io: &FileIo, metadata: &TableMetadata) -> Result<Vec<DataFile>> {
    let Some(snapshot) = metadata.branch_head(MAIN_BRANCH) else {
        return Ok(Vec::new());
    };
    let mut files = Vec::new();
    for manifest in read_manifest_list(io, &snapshot.manifest_list)? {
        let live = manifest.added_files_count + manifest.existing_files_count;
        if manifest.content == ManifestContent::Deletes {
            if live > 0 {
                return Err(IcebergError::invalid(format!(
                    "snapshot {} has delete files ({}); reading row-level deletes is not supported yet",
                    snapshot.snapshot_id, manifest.manifest_path
                )));
            }
            continue;
        }
        for entry in read_manifest(io, &manifest, metadata)? {
            if entry.status != EntryStatus::Deleted {
                files.push(entry.data_file);
            }
        }
    }
    Ok(files)
}
