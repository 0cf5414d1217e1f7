//! The hadoop (filesystem) catalog, as Java's `HadoopCatalog`/`HadoopTableOperations` lay it
//! out: table `<warehouse>/<ns levels>/<table>`, metadata `metadata/v<N>.metadata.json`
//! (N from 1), and `metadata/version-hint.text` holding N. A commit writes the whole new
//! metadata to a temporary file, syncs it, and hard-links it to `v<N+1>.metadata.json`: a link
//! never replaces an existing name (unlike `rename`), so of two writers racing for N+1 exactly
//! one wins and the other gets a conflict. Safe on a local or POSIX filesystem only.

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::{Catalog, Namespace, Table, TableIdent, read_metadata, with_log};
use crate::error::{IcebergError, Result};
use crate::io::{FileIo, sync_dir, write_new_file};
use crate::metadata::{TableCreation, TableMetadata};

/// A catalog that is a directory tree.
#[derive(Debug, Clone)]
pub struct HadoopCatalog {
    name: String,
    warehouse: String,
    io: FileIo,
}

const HINT: &str = "version-hint.text";

impl HadoopCatalog {
    /// The catalog rooted at `warehouse` (a path or `file:` URI).
    pub fn new(name: &str, warehouse: &str) -> Result<HadoopCatalog> {
        let io = FileIo::local();
        io.local_path(warehouse)?;
        Ok(HadoopCatalog {
            name: name.to_owned(),
            warehouse: warehouse.trim_end_matches('/').to_owned(),
            io,
        })
    }

    /// A table's location.
    pub fn table_location(&self, ident: &TableIdent) -> String {
        format!(
            "{}/{}/{}",
            self.warehouse,
            ident.namespace.0.join("/"),
            ident.name
        )
    }

    fn metadata_dir(&self, ident: &TableIdent) -> Result<PathBuf> {
        Ok(self.io.local_path(&self.table_location(ident))?.join("metadata"))
    }

    fn version_location(&self, ident: &TableIdent, version: u64) -> String {
        format!("{}/metadata/v{version}.metadata.json", self.table_location(ident))
    }

    /// The current version: the hint if its file exists, then later versions probed one by
    /// one (the hint is written after the commit and may lag); without a hint, the highest
    /// `v<N>.metadata.json` listed.
    fn current_version(&self, dir: &Path) -> Result<Option<u64>> {
        let hint = match fs::read_to_string(dir.join(HINT)) {
            Ok(text) => text.trim().parse::<u64>().ok(),
            Err(e) if e.kind() == ErrorKind::NotFound => None,
            Err(e) => return Err(IcebergError::io(dir.join(HINT), e)),
        };
        let exists = |v: u64| dir.join(format!("v{v}.metadata.json")).exists();
        let mut version = match hint.filter(|v| exists(*v)) {
            Some(v) => v,
            None => match list_max_version(dir)? {
                Some(v) => v,
                None => return Ok(None),
            },
        };
        while exists(version + 1) {
            version += 1;
        }
        Ok(Some(version))
    }

    /// Writes `metadata` as version `version`, failing with `conflict` if it exists.
    fn write_version(
        &self,
        ident: &TableIdent,
        version: u64,
        metadata: &TableMetadata,
        conflict: IcebergError,
    ) -> Result<String> {
        let dir = self.metadata_dir(ident)?;
        let temp = dir.join(format!("{}.metadata.json", uuid::Uuid::new_v4()));
        write_new_file(&temp, metadata.to_json()?.as_bytes())?;
        let target = dir.join(format!("v{version}.metadata.json"));
        let linked = fs::hard_link(&temp, &target);
        let removed = fs::remove_file(&temp);
        match linked {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::AlreadyExists => return Err(conflict),
            Err(e) => return Err(IcebergError::io(target, e)),
        }
        removed.map_err(|e| IcebergError::io(&temp, e))?;
        sync_dir(&dir)?;
        // The hint is only a hint (readers probe past it), so a crash before it is harmless;
        // it is replaced through a rename so readers never see it half-written.
        let hint_temp = dir.join(format!("{}-version-hint.temp", uuid::Uuid::new_v4()));
        write_new_file(&hint_temp, version.to_string().as_bytes())?;
        fs::rename(&hint_temp, dir.join(HINT)).map_err(|e| IcebergError::io(dir.join(HINT), e))?;
        sync_dir(&dir)?;
        Ok(self.version_location(ident, version))
    }
}

fn list_max_version(dir: &Path) -> Result<Option<u64>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(IcebergError::io(dir, e)),
    };
    let mut max = None;
    for entry in entries {
        let entry = entry.map_err(|e| IcebergError::io(dir, e))?;
        let name = entry.file_name();
        let version = name
            .to_str()
            .and_then(|n| n.strip_prefix('v'))
            .and_then(|n| n.strip_suffix(".metadata.json"))
            .and_then(|n| n.parse::<u64>().ok());
        max = max.max(version);
    }
    Ok(max)
}

/// The N of a `.../v<N>.metadata.json` location.
fn version_of(location: &str) -> Result<u64> {
    location
        .rsplit('/')
        .next()
        .and_then(|n| n.strip_prefix('v'))
        .and_then(|n| n.strip_suffix(".metadata.json"))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| IcebergError::invalid(format!("{location} is not a hadoop-catalog metadata file")))
}

impl Catalog for HadoopCatalog {
    fn name(&self) -> &str {
        &self.name
    }

    fn io(&self) -> &FileIo {
        &self.io
    }

    fn create_namespace_if_missing(&self, namespace: &Namespace) -> Result<()> {
        let path = self
            .io
            .local_path(&format!("{}/{}", self.warehouse, namespace.0.join("/")))?;
        fs::create_dir_all(&path).map_err(|e| IcebergError::io(path, e))
    }

    fn namespace_exists(&self, namespace: &Namespace) -> Result<bool> {
        self.io
            .exists(&format!("{}/{}", self.warehouse, namespace.0.join("/")))
    }

    fn load_table(&self, ident: &TableIdent) -> Result<Option<Table>> {
        let dir = self.metadata_dir(ident)?;
        let Some(version) = self.current_version(&dir)? else {
            return Ok(None);
        };
        let location = self.version_location(ident, version);
        Ok(Some(Table {
            ident: ident.clone(),
            metadata: read_metadata(&self.io, &location)?,
            metadata_location: location,
        }))
    }

    fn create_table(&self, ident: &TableIdent, creation: &TableCreation) -> Result<Table> {
        if !self.namespace_exists(&ident.namespace)? {
            return Err(IcebergError::NoSuchNamespace(ident.namespace.to_string()));
        }
        if self.current_version(&self.metadata_dir(ident)?)?.is_some() {
            return Err(IcebergError::TableAlreadyExists(ident.to_string()));
        }
        // The hadoop catalog's tables live where the catalog says, whatever was asked.
        let metadata = TableMetadata::new(creation, &self.table_location(ident))?;
        let location = self.write_version(
            ident,
            1,
            &metadata,
            IcebergError::TableAlreadyExists(ident.to_string()),
        )?;
        Ok(Table {
            ident: ident.clone(),
            metadata_location: location,
            metadata,
        })
    }

    fn commit(&self, base: &Table, new: TableMetadata) -> Result<Table> {
        let next = version_of(&base.metadata_location)? + 1;
        let new = with_log(base, new)?;
        let location = self.write_version(
            &base.ident,
            next,
            &new,
            IcebergError::CommitConflict(base.ident.to_string()),
        )?;
        Ok(Table {
            ident: base.ident.clone(),
            metadata_location: location,
            metadata: new,
        })
    }
}
