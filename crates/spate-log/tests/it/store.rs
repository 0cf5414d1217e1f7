use std::collections::BTreeMap;

use spate_log::{Durability, Error, LogStore, StoreConfig};

use crate::common::*;

fn overrides(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn create_list_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), StoreConfig::default()).unwrap();
    let a = store
        .create_topic("a-1", 3, &overrides(&[("retention.ms", "1000")]))
        .unwrap();
    store.create_topic("a", 12, &BTreeMap::new()).unwrap();
    assert!(matches!(
        store.create_topic("a", 1, &BTreeMap::new()),
        Err(Error::TopicExists(_))
    ));
    assert_eq!(
        store.topics().iter().map(|t| t.name.clone()).collect::<Vec<_>>(),
        ["a", "a-1"]
    );
    assert_eq!(a.config.retention_ms, Some(1000));
    assert_ne!(a.id, store.topic("a").unwrap().id);
    let p = store.partition("a-1", 2).unwrap();
    p.append(&TestBatch::simple(3, 1).encode(), Durability::Sync)
        .unwrap();
    assert!(store.partition("a-1", 3).is_none());
    assert!(store.partition("a-1", -1).is_none());
    drop((p, a));
    drop(store);

    let store = LogStore::open(dir.path(), StoreConfig::default()).unwrap();
    let a = store.topic("a-1").unwrap();
    assert_eq!(a.partitions.len(), 3);
    assert_eq!(a.overrides, overrides(&[("retention.ms", "1000")]));
    assert_eq!(store.topic_by_id(&a.id).unwrap().name, "a-1");
    assert_eq!(store.partition("a-1", 2).unwrap().log_end_offset(), 3);
    assert_eq!(store.partition("a", 10).unwrap().log_end_offset(), 0);
}

#[test]
fn invalid_requests_are_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), StoreConfig::default()).unwrap();
    for name in ["", ".", "..", "with space", "slash/y", &"x".repeat(250)] {
        assert!(matches!(
            store.create_topic(name, 1, &BTreeMap::new()),
            Err(Error::InvalidTopicName { .. })
        ));
    }
    for count in [0, -1, 1_000_001] {
        assert!(matches!(
            store.create_topic("t", count, &BTreeMap::new()),
            Err(Error::InvalidPartitions(_))
        ));
    }
    let err = store
        .create_topic("t", 1, &overrides(&[("cleanup.policy", "compact,shred")]))
        .unwrap_err();
    assert!(
        matches!(err, Error::InvalidConfig(ref c) if c.key == "cleanup.policy"),
        "{err}"
    );
    assert!(matches!(
        store.create_topic("t", 1, &overrides(&[("bogus", "1")])),
        Err(Error::InvalidConfig(_))
    ));
    store.validate_new_topic("t", 1, &BTreeMap::new()).unwrap();
    assert!(store.topics().is_empty(), "validation must not create");
    assert!(matches!(store.delete_topic("t"), Err(Error::UnknownTopic(_))));
    assert!(matches!(
        store.create_partitions("t", 4),
        Err(Error::UnknownTopic(_))
    ));
}

#[test]
fn delete_and_recreate() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), StoreConfig::default()).unwrap();
    let old = store.create_topic("events", 2, &BTreeMap::new()).unwrap();
    old.partitions[0]
        .append(&TestBatch::simple(5, 1).encode(), Durability::Async)
        .unwrap();
    store.delete_topic("events").unwrap();
    assert!(store.topic("events").is_none());
    let new = store.create_topic("events", 1, &BTreeMap::new()).unwrap();
    assert_ne!(new.id, old.id);
    assert_eq!(new.partitions[0].log_end_offset(), 0);
    drop(store);
    let store = LogStore::open(dir.path(), StoreConfig::default()).unwrap();
    assert_eq!(store.topic("events").unwrap().partitions.len(), 1);
    assert!(!dir.path().join("events-1").exists());
    assert_eq!(store.partition("events", 0).unwrap().log_end_offset(), 0);
}

#[test]
fn partitions_grow_only_and_overrides_persist() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), StoreConfig::default()).unwrap();
    store.create_topic("t", 2, &BTreeMap::new()).unwrap();
    assert!(matches!(
        store.create_partitions("t", 2),
        Err(Error::InvalidPartitions(_))
    ));
    assert!(matches!(
        store.create_partitions("t", 1),
        Err(Error::InvalidPartitions(_))
    ));
    assert_eq!(store.create_partitions("t", 5).unwrap().partitions.len(), 5);

    assert!(
        store
            .set_topic_overrides("t", overrides(&[("segment.bytes", "1")]))
            .is_err()
    );
    let t = store
        .set_topic_overrides(
            "t",
            overrides(&[("segment.bytes", "4096"), ("flush.messages", "1")]),
        )
        .unwrap();
    assert_eq!(t.config.segment_bytes, 4096);
    assert_eq!(store.partition("t", 4).unwrap().config().segment_bytes, 4096);
    drop(t);
    drop(store);
    let store = LogStore::open(dir.path(), StoreConfig::default()).unwrap();
    let t = store.topic("t").unwrap();
    assert_eq!(t.partitions.len(), 5);
    assert_eq!(t.config.value_of("segment.bytes").unwrap(), "4096");
    assert_eq!(t.config.value_of("flush.messages").unwrap(), "1");
}

#[test]
fn maintenance_flushes_by_interval_and_applies_retention() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), StoreConfig::default()).unwrap();
    let t = store
        .create_topic(
            "m",
            1,
            &overrides(&[
                ("flush.ms", "1000"),
                ("segment.bytes", "500"),
                ("retention.bytes", "500"),
            ]),
        )
        .unwrap();
    let p = &t.partitions[0];
    let batch = TestBatch::new(vec![(1, vec![0; 400])]).encode();
    for i in 0..4 {
        p.append_at(&batch, Durability::Async, 10_000 + i).unwrap();
    }
    assert_eq!(p.unsynced_since(), Some(10_000));
    store.maintenance(10_500).unwrap();
    assert_eq!(p.unsynced_since(), Some(10_000), "not due yet");
    // Four one-batch segments; deleting two leaves 2 × 461 >= 500 bytes, deleting a third not.
    assert_eq!(p.segment_count(), 2);
    assert_eq!(p.log_start_offset(), 2);
    store.maintenance(11_000).unwrap();
    assert_eq!(p.unsynced_since(), None);
    store.sync_all().unwrap();
}

#[test]
fn leftovers_of_interrupted_creates_and_deletes_are_removed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), StoreConfig::default()).unwrap();
    store.create_topic("kept", 1, &BTreeMap::new()).unwrap();
    drop(store);
    // A create that crashed before its metadata was written, and a delete that crashed after
    // renaming the partition directory aside.
    std::fs::create_dir(dir.path().join("ghost-0")).unwrap();
    std::fs::write(dir.path().join("ghost-0").join("00000000000000000000.log"), b"x").unwrap();
    std::fs::create_dir(dir.path().join("old-0.18c.delete")).unwrap();
    // Not a partition directory name this store makes: left alone.
    std::fs::create_dir(dir.path().join("ghost-01")).unwrap();
    let store = LogStore::open(dir.path(), StoreConfig::default()).unwrap();
    assert!(!dir.path().join("ghost-0").exists());
    assert!(!dir.path().join("old-0.18c.delete").exists());
    assert!(dir.path().join("ghost-01").exists());
    assert!(dir.path().join("kept-0").exists());
    assert_eq!(store.topics().len(), 1);
}

#[test]
fn corrupt_metadata_stops_open_without_deleting_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = LogStore::open(dir.path(), StoreConfig::default()).unwrap();
    store.create_topic("t", 1, &BTreeMap::new()).unwrap();
    drop(store);
    let meta = dir.path().join("topics").join("t.topic");
    let mut bytes = std::fs::read(&meta).unwrap();
    bytes[10] ^= 0xff;
    std::fs::write(&meta, bytes).unwrap();
    assert!(matches!(
        LogStore::open(dir.path(), StoreConfig::default()),
        Err(Error::CorruptMetadata { .. })
    ));
    assert!(dir.path().join("t-0").exists());
}
