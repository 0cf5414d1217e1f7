//! The `CommitTableRequest` of a commit: what changed between the loaded base and the new
//! metadata, as the spec's updates, guarded by requirements that make the server's apply a
//! compare-and-swap (Java's `UpdateRequirements.forUpdateTable`): the table is still the one
//! loaded (`assert-table-uuid`) and every ref the commit moves still points where it did
//! (`assert-ref-snapshot-id`, `null` for a ref that did not exist). The server writes the
//! metadata file and keeps `snapshot-log`/`metadata-log` itself; only snapshots, refs and
//! properties are sent, and any other change is refused rather than silently dropped.

use serde_json::{Value as Json, json};

use crate::catalog::{Table, TableIdent};
use crate::error::{IcebergError, Result};
use crate::metadata::{MAIN_BRANCH, TableMetadata};

/// The request body for committing `new` over `base`.
pub(crate) fn commit_request(base: &Table, new: &TableMetadata) -> Result<Json> {
    let old = &base.metadata;
    refuse_unsupported_changes(old, new)?;
    let mut updates = Vec::new();
    for snapshot in &new.snapshots {
        if old.snapshot(snapshot.snapshot_id).is_none() {
            updates.push(json!({"action": "add-snapshot", "snapshot": snapshot}));
        }
    }
    let mut requirements = vec![json!({"type": "assert-table-uuid", "uuid": old.table_uuid})];
    for (name, r) in &new.refs {
        if old.refs.get(name) == Some(r) {
            continue;
        }
        let before = ref_head(old, name);
        let mut update = serde_json::to_value(r).map_err(|e| IcebergError::Json(e.to_string()))?;
        if let Some(obj) = update.as_object_mut() {
            obj.insert("action".into(), "set-snapshot-ref".into());
            obj.insert("ref-name".into(), name.clone().into());
        }
        updates.push(update);
        requirements.push(json!({"type": "assert-ref-snapshot-id", "ref": name, "snapshot-id": before}));
    }
    if old.refs.keys().any(|name| !new.refs.contains_key(name)) {
        return Err(IcebergError::Unsupported(
            "removing a ref through the REST catalog".into(),
        ));
    }
    let set: serde_json::Map<String, Json> = new
        .properties
        .iter()
        .filter(|(k, v)| old.properties.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone().into()))
        .collect();
    if !set.is_empty() {
        updates.push(json!({"action": "set-properties", "updates": set}));
    }
    let removed: Vec<&String> = old
        .properties
        .keys()
        .filter(|k| !new.properties.contains_key(*k))
        .collect();
    if !removed.is_empty() {
        updates.push(json!({"action": "remove-properties", "removals": removed}));
    }
    Ok(json!({
        "identifier": identifier(&base.ident),
        "requirements": requirements,
        "updates": updates,
    }))
}

/// The spec's `TableIdentifier`.
fn identifier(ident: &TableIdent) -> Json {
    json!({"namespace": ident.namespace.0, "name": ident.name})
}

/// Where `name` points in `m`; `main` falls back to `current-snapshot-id` as Java's parser
/// makes a `main` ref of it for tables written without `refs`.
fn ref_head(m: &TableMetadata, name: &str) -> Option<i64> {
    match m.refs.get(name) {
        Some(r) => Some(r.snapshot_id),
        None if name == MAIN_BRANCH => m.current_snapshot_id,
        None => None,
    }
}

/// A change this client cannot express as updates: failing is better than a commit that
/// quietly loses it.
fn refuse_unsupported_changes(old: &TableMetadata, new: &TableMetadata) -> Result<()> {
    if new.table_uuid != old.table_uuid {
        return Err(IcebergError::invalid("a commit cannot change the table's UUID"));
    }
    let changed = [
        ("location", old.location != new.location),
        (
            "schemas",
            old.schemas != new.schemas || old.current_schema_id != new.current_schema_id,
        ),
        (
            "partition specs",
            old.partition_specs != new.partition_specs || old.default_spec_id != new.default_spec_id,
        ),
        (
            "sort orders",
            old.sort_orders != new.sort_orders || old.default_sort_order_id != new.default_sort_order_id,
        ),
        (
            "removed snapshots",
            old.snapshots
                .iter()
                .any(|s| new.snapshot(s.snapshot_id).is_none()),
        ),
    ];
    match changed.iter().find(|(_, c)| *c) {
        Some((what, _)) => Err(IcebergError::Unsupported(format!(
            "changing {what} through the REST catalog (only appends and properties)"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::TableCreation;
    use crate::schema::Schema;
    use crate::snapshot::{Snapshot, SnapshotRef};
    use crate::types::{NestedField, PrimitiveType};

    fn table() -> Table {
        let schema = Schema::with_fresh_ids(vec![NestedField::required(0, "id", PrimitiveType::Long)], &[])
            .expect("schema");
        Table {
            ident: TableIdent::new("a.b", "t"),
            metadata_location: "/w/t/metadata/00000-x.metadata.json".into(),
            metadata: TableMetadata::new(&TableCreation::new(schema), "/w/t").expect("metadata"),
        }
    }

    fn with_snapshot(m: &TableMetadata, id: i64) -> TableMetadata {
        let mut next = m.clone();
        next.snapshots.push(Snapshot {
            snapshot_id: id,
            parent_snapshot_id: m.current_snapshot_id,
            sequence_number: m.last_sequence_number + 1,
            timestamp_ms: 1,
            manifest_list: format!("/w/t/metadata/snap-{id}.avro"),
            summary: [("operation".to_owned(), "append".to_owned())].into(),
            schema_id: Some(0),
        });
        next.last_sequence_number += 1;
        next.current_snapshot_id = Some(id);
        next.refs.insert(MAIN_BRANCH.into(), SnapshotRef::branch(id));
        next
    }

    #[test]
    fn an_append_is_add_snapshot_and_set_ref_guarded_by_uuid_and_ref() {
        let base = table();
        let first = with_snapshot(&base.metadata, 11);
        let req = commit_request(&base, &first).expect("request");
        assert_eq!(req["identifier"], json!({"namespace": ["a", "b"], "name": "t"}));
        let uuid = base.metadata.table_uuid.clone();
        assert_eq!(
            req["requirements"],
            json!([
                {"type": "assert-table-uuid", "uuid": uuid},
                {"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": null}
            ])
        );
        let updates = req["updates"].as_array().expect("updates");
        assert_eq!(updates.len(), 2);
        assert_eq!(updates[0]["action"], "add-snapshot");
        assert_eq!(updates[0]["snapshot"]["snapshot-id"], 11);
        assert_eq!(updates[0]["snapshot"]["sequence-number"], 1);
        assert_eq!(
            updates[0]["snapshot"]["manifest-list"],
            "/w/t/metadata/snap-11.avro"
        );
        assert_eq!(updates[0]["snapshot"]["summary"]["operation"], "append");
        assert_eq!(
            updates[1],
            json!({"action": "set-snapshot-ref", "ref-name": "main", "snapshot-id": 11, "type": "branch"})
        );

        let base2 = Table {
            metadata: first.clone(),
            ..base.clone()
        };
        let mut second = with_snapshot(&first, 12);
        second.properties.insert("p".into(), "q".into());
        second.properties.remove("write.parquet.compression-codec");
        let req = commit_request(&base2, &second).expect("request");
        assert_eq!(req["requirements"][1]["snapshot-id"], 11);
        let updates = req["updates"].as_array().expect("updates");
        assert_eq!(updates.len(), 4);
        assert_eq!(updates[0]["snapshot"]["parent-snapshot-id"], 11);
        assert_eq!(
            updates[2],
            json!({"action": "set-properties", "updates": {"p": "q"}})
        );
        assert_eq!(
            updates[3],
            json!({"action": "remove-properties", "removals": ["write.parquet.compression-codec"]})
        );
    }

    #[test]
    fn main_without_refs_is_asserted_at_the_current_snapshot() {
        let base = table();
        let mut old = with_snapshot(&base.metadata, 5);
        old.refs.clear();
        let base = Table {
            metadata: old.clone(),
            ..base
        };
        let req = commit_request(&base, &with_snapshot(&old, 6)).expect("request");
        assert_eq!(req["requirements"][1]["snapshot-id"], 5);
    }

    #[test]
    fn changes_it_cannot_send_are_refused() {
        let base = table();
        let mut other = base.metadata.clone();
        other.location = "/elsewhere".into();
        assert!(matches!(
            commit_request(&base, &other),
            Err(IcebergError::Unsupported(_))
        ));
        let mut other = base.metadata.clone();
        other.table_uuid = "x".into();
        assert!(matches!(
            commit_request(&base, &other),
            Err(IcebergError::Invalid(_))
        ));
    }
}
