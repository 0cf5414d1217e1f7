//! Rules that keep the broker's own topics intact and topic names unambiguous.
//!
//! - Internal topics (`__consumer_offsets`) hold what the broker cannot rebuild: clients may not
//!   change the configs that decide what is kept (retention, cleanup, segment rolling), nor add
//!   partitions (the group coordinator reads partition 0 only), nor produce to or delete them.
//! - Kafka treats `.` and `_` alike in metric names, so it refuses a topic whose name differs
//!   from an existing one only by those (`__consumer.offsets` next to `__consumer_offsets`).

use spate_log::LogStore;

use crate::groups::OFFSETS_TOPIC;

/// Topic configs an internal topic keeps as the broker set them.
const PROTECTED_CONFIGS: &[&str] = &[
    "retention.ms",
    "retention.bytes",
    "cleanup.policy",
    "segment.ms",
    "segment.bytes",
    "message.timestamp.type",
];

/// Whether `topic` is one of the broker's own.
pub(crate) fn is_internal(topic: &str) -> bool {
    topic == OFFSETS_TOPIC
}

/// The first protected config key whose value the change would alter, for an internal topic.
pub(crate) fn protected_change(
    topic: &str,
    before: &std::collections::BTreeMap<String, String>,
    after: &std::collections::BTreeMap<String, String>,
) -> Option<&'static str> {
    if !is_internal(topic) {
        return None;
    }
    PROTECTED_CONFIGS
        .iter()
        .copied()
        .find(|key| before.get(*key) != after.get(*key))
}

/// An existing topic that `name` would collide with after `.`/`_` normalisation (not `name`
/// itself), as Kafka's `Topic.hasCollision` defines it.
pub(crate) fn colliding_topic(store: &LogStore, name: &str) -> Option<String> {
    let normalised = |s: &str| s.replace('.', "_");
    let wanted = normalised(name);
    // Internal topics count even before they exist on disk.
    std::iter::once(OFFSETS_TOPIC.to_string())
        .chain(store.topics().iter().map(|t| t.name.clone()))
        .find(|existing| existing != name && normalised(existing) == wanted)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn protected_configs_of_internal_topics_only() {
        let before = BTreeMap::from([("retention.ms".to_string(), "-1".to_string())]);
        let mut after = before.clone();
        after.insert("retention.ms".into(), "1".into());
        assert_eq!(
            protected_change(OFFSETS_TOPIC, &before, &after),
            Some("retention.ms")
        );
        assert_eq!(protected_change("events", &before, &after), None);
        let mut harmless = before.clone();
        harmless.insert("max.message.bytes".into(), "2000000".into());
        assert_eq!(protected_change(OFFSETS_TOPIC, &before, &harmless), None);
        let mut added = before.clone();
        added.insert("segment.ms".into(), "1".into());
        assert_eq!(
            protected_change(OFFSETS_TOPIC, &before, &added),
            Some("segment.ms")
        );
    }

    #[test]
    fn names_collide_after_dot_underscore_normalisation() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let store = LogStore::open(dir.path(), Default::default()).unwrap_or_else(|e| panic!("{e}"));
        store
            .create_topic("my.events", 1, &Default::default())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(colliding_topic(&store, "my_events").as_deref(), Some("my.events"));
        assert_eq!(colliding_topic(&store, "my.events"), None);
        assert_eq!(
            colliding_topic(&store, "__consumer.offsets").as_deref(),
            Some(OFFSETS_TOPIC)
        );
        assert_eq!(colliding_topic(&store, "other"), None);
    }
}
