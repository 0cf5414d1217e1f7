//! Changelog topics against a real broker: what a task restores is exactly its committed
//! sections (aborted transactions, tombstones and unchanged sections included), and the topic
//! is refused when its partitions no longer match the stage's tasks.

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use spate_group::changelog::{ChangelogWriter, changelog_topic, ensure_changelog_topic, restore};
use spate_kafka_client::{BrokerConnection, ClientError, TransactionalProducer, TxnProducerConfig};

use crate::membership::broker;

const TIMEOUT: Duration = Duration::from_secs(10);

#[test]
fn a_restore_sees_the_committed_sections_only() {
    let broker = broker();
    let bootstrap = broker.handle.bootstrap_servers();
    let topic = changelog_topic("job", "2-window");
    let mut conn = BrokerConnection::connect_to(&bootstrap, TIMEOUT).expect("connect");
    ensure_changelog_topic(&mut conn, &topic, 3, 1).expect("create");
    ensure_changelog_topic(&mut conn, &topic, 3, 1).expect("exists with the right partitions");
    let wrong = ensure_changelog_topic(&mut conn, &topic, 4, 1).expect_err("a changed parallelism");
    assert!(matches!(wrong, ClientError::Config(_)), "{wrong}");
    assert!(wrong.to_string().contains("3 partitions"), "{wrong}");

    let mut producer = TransactionalProducer::init(TxnProducerConfig {
        bootstrap: bootstrap.clone(),
        security: Default::default(),
        transactional_id: "job-p1".into(),
        transaction_timeout: Duration::from_secs(30),
        request_timeout: TIMEOUT,
    })
    .expect("producer");
    let mut writer = ChangelogWriter::new();
    let mut commit =
        |writes: &[(u32, &[u8])], checkpoint: u64, commit: bool, writer: &mut ChangelogWriter| -> usize {
            producer.begin().unwrap();
            let mut sent = 0;
            for (kg, bytes) in writes {
                sent += usize::from(
                    writer
                        .write(&mut producer, &topic, 1, &kg.to_be_bytes(), bytes, checkpoint)
                        .unwrap(),
                );
            }
            if commit {
                producer.commit().unwrap();
                writer.committed();
            } else {
                producer.abort().unwrap();
                writer.aborted();
            }
            sent
        };
    assert_eq!(
        commit(
            &[(0, b"a1"), (1, b"b1"), (2, b"c1"), (3, b"")],
            1,
            true,
            &mut writer
        ),
        3
    );
    // Unchanged sections are not written again; an emptied key group is a tombstone.
    assert_eq!(
        commit(&[(0, b"a1"), (1, b"b2"), (2, b"")], 2, true, &mut writer),
        2
    );
    // An aborted transaction's sections are not restored, and are written again next time.
    assert_eq!(commit(&[(0, b"a3"), (1, b"b3")], 3, false, &mut writer), 2);
    assert_eq!(commit(&[(0, b"a1"), (1, b"b3")], 4, true, &mut writer), 1);

    let restored = restore(&bootstrap, &Default::default(), &topic, 1, TIMEOUT).expect("restore");
    let key = |kg: u32| Bytes::copy_from_slice(&kg.to_be_bytes());
    let want: BTreeMap<Bytes, Bytes> = [
        (key(0), Bytes::from_static(b"a1")),
        (key(1), Bytes::from_static(b"b3")),
    ]
    .into_iter()
    .collect();
    assert_eq!(restored, want);
    assert!(
        restore(&bootstrap, &Default::default(), &topic, 0, TIMEOUT)
            .expect("restore")
            .is_empty(),
        "another task's partition is empty"
    );
    // A writer that restored knows what is there: nothing unchanged is written again.
    let mut again = ChangelogWriter::new();
    again.restored(&topic, 1, &restored);
    assert_eq!(commit(&[(0, b"a1"), (1, b"b3")], 5, true, &mut again), 0);

    // Sections no longer live are deleted: only key group 1 stays.
    producer.begin().unwrap();
    let live = [key(1)].into_iter().collect();
    assert_eq!(
        again.delete_others(&mut producer, (&topic, 1), &live, 6).unwrap(),
        1
    );
    producer.commit().unwrap();
    again.committed();
    let restored = restore(&bootstrap, &Default::default(), &topic, 1, TIMEOUT).expect("restore");
    assert_eq!(restored.keys().cloned().collect::<Vec<_>>(), [key(1)]);
}
