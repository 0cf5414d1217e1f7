//! A job split over "processes" (attempts on disjoint task sets, each with its own
//! transactional producer and checkpoint directory, as separate processes have) joined by
//! repartition topics: the output equals a single-process run, and a process whose tasks
//! restart restores them from the changelog topics.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use spate_distributed::{
    KafkaCheckpoints, KafkaExchange, KafkaSettings, ProcessTxn, ensure_topics, restore_tasks,
};
use spate_engine::checkpoint::CheckpointConfig;
use spate_engine::exchange::TaskScope;
use spate_engine::window::WindowAssigner;
use spate_engine::{Record, StreamEnvironment, WatermarkStrategy};
use spate_group::GroupMetadata;
use spate_kafka_client::TxnProducerConfig;

use crate::broker;

const TIMEOUT: Duration = Duration::from_secs(20);

/// Keyed events, mostly in order, every 37th one 400 ms late (behind the 50 ms bound: the
/// window operator drops it once the watermark passed its window).
fn events() -> Vec<Record<(u64, u64)>> {
    (0..3000u64)
        .map(|i| {
            let late = i % 37 == 36;
            let ts = (i * 3) as i64 - if late { 400 } else { (i % 5) as i64 * 7 };
            Record::new(ts.max(0), (i % 11, i))
        })
        .collect()
}

/// The job: window counts per key, at parallelism 2 behind a one-subtask source.
fn job(env: &StreamEnvironment) -> spate_engine::CollectHandle<(u64, i64, u64)> {
    env.set_parallelism(2);
    // Small batches: the source's watermark advances between them, so late records exist.
    env.set_batch_size(16);
    env.exchange_type::<(u64, u64)>();
    env.from_records(
        events(),
        WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(50)),
    )
    .key_by(|(k, _): &(u64, u64)| *k)
    .window(WindowAssigner::tumbling(Duration::from_millis(100)))
    .count()
    .map(|r| (r.key, r.window.start, r.value))
    .collect()
}

fn sorted(mut v: Vec<(u64, i64, u64)>) -> Vec<(u64, i64, u64)> {
    v.sort_unstable();
    v
}

fn settings(bootstrap: &str, group: &str) -> KafkaSettings {
    KafkaSettings {
        bootstrap: bootstrap.to_string(),
        security: Default::default(),
        group: group.to_string(),
        replication_factor: 1,
        request_timeout: TIMEOUT,
    }
}

/// No group membership: generation -1, as an exactly-once v1 producer commits.
fn no_member(group: &str) -> Box<dyn Fn() -> GroupMetadata + Send + Sync> {
    let group = group.to_string();
    Box::new(move || GroupMetadata {
        group_id: group.clone(),
        generation_id: -1,
        member_id: String::new(),
        group_instance_id: None,
    })
}

/// Runs the `owned` tasks of the job as one process named `name`: restores them from the
/// changelogs, checkpoints every 30 ms into `dir`, publishes to Kafka.
fn run_process(
    settings: &KafkaSettings,
    name: &str,
    owned: &[(u32, u32)],
    dir: &Path,
) -> Vec<(u64, i64, u64)> {
    let owned: BTreeSet<(u32, u32)> = owned.iter().copied().collect();
    let env = StreamEnvironment::new();
    let out = job(&env);
    let topology = env.topology().expect("topology");
    let restored =
        restore_tasks(settings, &topology, &owned, env.config().max_parallelism, dir).expect("restore");
    if let Some(cp) = &restored.checkpoint {
        env.restore_from(cp);
    }
    env.enable_checkpointing(CheckpointConfig::new(
        dir.join("checkpoints"),
        Duration::from_millis(30),
    ));
    let txn = Arc::new(
        ProcessTxn::init(
            TxnProducerConfig {
                bootstrap: settings.bootstrap.clone(),
                security: Default::default(),
                transactional_id: format!("{}-{name}", settings.group),
                transaction_timeout: Duration::from_secs(10),
                request_timeout: TIMEOUT,
            },
            restored.id,
        )
        .expect("transactional producer"),
    );
    let publisher = KafkaCheckpoints::new(
        txn.clone(),
        &settings.group,
        topology,
        owned.clone(),
        no_member(&settings.group),
        restored.writer,
    );
    env.execute_tasks(TaskScope {
        owned,
        transport: Arc::new(KafkaExchange::new(settings.clone(), txn)),
        publisher: Some(Arc::new(publisher)),
    })
    .expect("attempt");
    out.values()
}

#[test]
fn processes_joined_by_repartition_topics_equal_one_process() {
    let env = StreamEnvironment::new();
    let single = job(&env);
    env.execute().expect("single process");
    let expected = sorted(single.values());

    let broker = broker();
    let settings = settings(&broker.handle.bootstrap_servers(), "windows");
    let topology = {
        let env = StreamEnvironment::new();
        let _ = job(&env);
        env.topology().expect("topology")
    };
    assert_eq!(topology.tasks(), [(0, 0), (1, 0), (1, 1)]);
    ensure_topics(&settings, &topology).expect("topics");
    let dirs = tempfile::tempdir().expect("dir");
    let spawn = |name: &'static str, owned: &'static [(u32, u32)]| {
        let settings = settings.clone();
        let dir = dirs.path().join(name);
        std::thread::spawn(move || run_process(&settings, name, owned, &dir))
    };
    let a = spawn("a", &[(0, 0), (1, 0)]);
    let b = spawn("b", &[(1, 1)]);
    let mut got = a.join().expect("process a");
    got.extend(b.join().expect("process b"));
    assert_eq!(sorted(got), expected);
}
