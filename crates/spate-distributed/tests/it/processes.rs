//! A job split over "processes" (attempts on disjoint task sets, each with its own
//! transactional producer and checkpoint directory, as separate processes have) joined by
//! repartition topics: the output equals a single-process run, and a process whose tasks
//! restart restores them from the changelog topics.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use spate_connectors::kafka::{DeliveryGuarantee, KafkaSink};
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

pub(crate) const TIMEOUT: Duration = Duration::from_secs(20);

/// How late the late records are when none must be dropped (within the 50 ms bound).
pub(crate) const IN_BOUND_MS: i64 = 20;

/// Late enough to be dropped once the watermark passed.
const DROPPED_MS: i64 = 400;

/// Keyed events, mostly in order, every 37th one `late` ms late (behind the 50 ms bound, the
/// window operator drops it once the watermark passed its window).
pub(crate) fn events(late_ms: i64) -> Vec<Record<(u64, u64)>> {
    (0..3000u64)
        .map(|i| {
            let late = i % 37 == 36;
            let ts = (i * 3) as i64 - if late { late_ms } else { (i % 5) as i64 * 7 };
            Record::new(ts.max(0), (i % 11, i))
        })
        .collect()
}

/// The job: window counts per key, at parallelism 2 behind a one-subtask source; records
/// `late_ms` late are dropped when that is behind the watermark's bound.
pub(crate) fn job(env: &StreamEnvironment, late_ms: i64) -> spate_engine::CollectHandle<(u64, i64, u64)> {
    env.set_parallelism(2);
    // Small batches: the source's watermark advances between them, so late records exist.
    env.set_batch_size(16);
    env.exchange_type::<(u64, u64)>();
    env.from_records(
        events(late_ms),
        WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(50)),
    )
    .key_by(|(k, _): &(u64, u64)| *k)
    .window(WindowAssigner::tumbling(Duration::from_millis(100)))
    .count()
    .map(|r| (r.key, r.window.start, r.value))
    .collect()
}

pub(crate) fn sorted(mut v: Vec<(u64, i64, u64)>) -> Vec<(u64, i64, u64)> {
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

/// What a process needs to run the `owned` tasks of the job in `env` as the process `name`:
/// the tasks restored from the changelogs, checkpoints every 30 ms into `dir`, the Kafka
/// exchange and publisher. Returns the scope and the checkpoint restored from (0: none).
fn prepare(
    env: &StreamEnvironment,
    settings: &KafkaSettings,
    name: &str,
    owned: BTreeSet<(u32, u32)>,
    dir: &Path,
) -> (TaskScope, u64) {
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
        env.source_log_offsets(),
    );
    let scope = TaskScope {
        owned,
        transport: Arc::new(KafkaExchange::new(settings.clone(), txn)),
        publisher: Some(Arc::new(publisher)),
    };
    (scope, restored.id)
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
    let out = job(&env, DROPPED_MS);
    let (scope, _) = prepare(&env, settings, name, owned, dir);
    env.execute_tasks(scope).expect("attempt");
    out.values()
}

#[test]
fn processes_joined_by_repartition_topics_equal_one_process() {
    let env = StreamEnvironment::new();
    let single = job(&env, DROPPED_MS);
    env.execute().expect("single process");
    let expected = sorted(single.values());
    let counted: u64 = expected.iter().map(|r| r.2).sum();
    assert!(counted < 3000, "some records must be late: {counted}");

    let broker = broker();
    let settings = settings(&broker.handle.bootstrap_servers(), "windows");
    let topology = {
        let env = StreamEnvironment::new();
        let _ = job(&env, DROPPED_MS);
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
    assert_same(got, &expected);
}

/// The job with a slowed source (so a process can be stopped mid-run) writing its windows
/// to topic `out` with the exactly-once Kafka sink.
pub(crate) fn slow_job(env: &StreamEnvironment, bootstrap: &str, group: &str) {
    paced_job(env, bootstrap, group, 5);
}

/// [`slow_job`] with a 2 ms pause every `every` records.
pub(crate) fn paced_job(env: &StreamEnvironment, bootstrap: &str, group: &str, every: u64) {
    env.set_parallelism(2);
    env.set_batch_size(16);
    env.exchange_type::<(u64, u64)>();
    let sink = KafkaSink::builder(bootstrap, "out", |r: &(u64, i64, u64)| {
        (None, format!("{} {} {}", r.0, r.1, r.2).into_bytes())
    })
    .delivery_guarantee(DeliveryGuarantee::ExactlyOnce {
        transactional_id_prefix: format!("{group}-sink"),
    })
    .build()
    .expect("sink");
    // Which late records a window drops depends on when watermarks cross processes (as in
    // Flink across task managers), so this job has none: its output is the same however
    // the processes interleave.
    env.from_records(
        events(IN_BOUND_MS),
        WatermarkStrategy::bounded_out_of_orderness(Duration::from_millis(50)),
    )
    .map(move |(k, i): (u64, u64)| {
        if i % every == 0 {
            std::thread::sleep(Duration::from_millis(2));
        }
        (k, i)
    })
    .key_by(|(k, _): &(u64, u64)| *k)
    .window(WindowAssigner::tumbling(Duration::from_millis(100)))
    .count()
    .map(|r| (r.key, r.window.start, r.value))
    .add_sink("out", sink);
}

/// One attempt of a process of [`slow_job`]; `stop_after` cancels it once it published that
/// many checkpoints (a crash: nothing is flushed or committed on the way out). Returns the
/// checkpoint it restored from and whether the job had ended when it was stopped.
fn run_slow(
    settings: &KafkaSettings,
    name: &str,
    owned: &[(u32, u32)],
    dir: &Path,
    stop_after: Option<u64>,
) -> u64 {
    let owned: BTreeSet<(u32, u32)> = owned.iter().copied().collect();
    let env = StreamEnvironment::new();
    slow_job(&env, &settings.bootstrap, &settings.group);
    let (scope, restored_id) = prepare(&env, settings, name, owned, dir);
    let handle = env.job_handle();
    let first = restored_id;
    let stopper = stop_after.map(|n| {
        // Stopped between two polls of a task, like a process killed: no final checkpoint.
        std::thread::spawn(move || {
            // A checkpoint waits for the slow map's queued input, so how many complete
            // before the end varies: stop after `n`, or at the latest after a while (the
            // caller checks that a checkpoint was restored).
            let deadline = std::time::Instant::now() + Duration::from_millis(1500);
            while handle.progress().last_checkpoint.unwrap_or(0) < first + n
                && std::time::Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(1));
            }
            handle.cancel();
        })
    });
    let result = env.execute_tasks(scope);
    if let Some(s) = stopper {
        s.join().expect("stopper");
    }
    result.expect("attempt");
    restored_id
}

/// Every record of `topic` partition 0, read_committed.
pub(crate) fn committed_lines(bootstrap: &str, topic: &str) -> Vec<(u64, i64, u64)> {
    let mut out = Vec::new();
    spate_group::changelog::read_to_stable(
        bootstrap,
        &Default::default(),
        (topic, 0),
        TIMEOUT,
        |_, _, value| {
            let text = String::from_utf8(value.unwrap_or_default().to_vec()).expect("utf-8");
            let f: Vec<&str> = text.split(' ').collect();
            out.push((
                f[0].parse().expect("a number"),
                f[1].parse().expect("a number"),
                f[2].parse().expect("a number"),
            ));
            Ok(())
        },
    )
    .expect("read");
    out
}

/// `victim` ("a": the source and the tasks 0, "b": the tasks 1) is stopped
/// after three published checkpoints (or 1.5 s) and restarted; the committed output is exact.
fn restart_mid_run(victim: &'static str) {
    crate::init_logs();
    let env = StreamEnvironment::new();
    let single = job(&env, IN_BOUND_MS);
    env.execute().expect("single process");
    let expected = sorted(single.values());
    assert_eq!(expected.iter().map(|r| r.2).sum::<u64>(), 3000);

    let broker = broker();
    let bootstrap = broker.handle.bootstrap_servers();
    let group = format!("restart-{victim}");
    let settings = settings(&bootstrap, &group);
    let topology = {
        let env = StreamEnvironment::new();
        slow_job(&env, &bootstrap, &group);
        env.topology().expect("topology")
    };
    ensure_topics(&settings, &topology).expect("topics");
    spate_kafka_client::BrokerConnection::connect_to(&bootstrap, TIMEOUT)
        .expect("connect")
        .create_topic("out", 1, 1, &[])
        .expect("output topic");
    let dirs = tempfile::tempdir().expect("dir");
    // Three stages: the one-subtask source, the slowed map (behind a rebalance) and the
    // windows with the sink. "a" runs every task 0, "b" every task 1.
    let tasks = topology.tasks();
    assert_eq!(tasks, [(0, 0), (1, 0), (1, 1), (2, 0), (2, 1)]);
    let owned = move |name: &str| -> Vec<(u32, u32)> {
        let index = u32::from(name == "b");
        tasks.iter().copied().filter(|t| t.1 == index).collect()
    };
    let survivor = if victim == "a" { "b" } else { "a" };
    let s = settings.clone();
    let dir = dirs.path().join(survivor);
    let steady_tasks = owned(survivor);
    let steady = std::thread::spawn(move || run_slow(&s, survivor, &steady_tasks, &dir, None));
    let dir = dirs.path().join(victim);
    assert_eq!(
        run_slow(&settings, victim, &owned(victim), &dir.join("1"), Some(3)),
        0
    );
    let resumed_from = run_slow(&settings, victim, &owned(victim), &dir.join("2"), None);
    assert!(resumed_from >= 1, "restored checkpoint {resumed_from}");
    steady.join().expect("the other process");
    assert_same(committed_lines(&bootstrap, "out"), &expected);
}

/// Fails naming the windows that differ (not the whole output).
pub(crate) fn assert_same(got: Vec<(u64, i64, u64)>, expected: &[(u64, i64, u64)]) {
    let got = sorted(got);
    if got == expected {
        return;
    }
    let extra: Vec<_> = got.iter().filter(|r| !expected.contains(r)).take(10).collect();
    let missing: Vec<_> = expected.iter().filter(|r| !got.contains(r)).take(10).collect();
    panic!(
        "{} windows committed, {} expected; not expected: {extra:?}; missing: {missing:?}",
        got.len(),
        expected.len()
    );
}

#[test]
fn a_restarted_upstream_process_resumes_exactly_once_from_the_changelogs() {
    restart_mid_run("a");
}

#[test]
fn a_restarted_downstream_process_resumes_exactly_once_from_the_changelogs() {
    restart_mid_run("b");
}
