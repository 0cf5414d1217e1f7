//! Processes driven by their group membership ([`run_distributed`]): a second process
//! joining mid-run takes half the tasks over (the first stops them with a committed
//! checkpoint, the second restores them from the changelogs) and the exactly-once output
//! equals one process's.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use spate_distributed::{JobBuilder, KafkaSettings, RunnerConfig, run_distributed};
use spate_engine::StreamEnvironment;

use crate::broker;
use crate::processes::{IN_BOUND_MS, TIMEOUT, assert_same, committed_lines, job, paced_job, sorted};

fn config(bootstrap: &str, group: &str, dir: &std::path::Path, instance: &str) -> RunnerConfig {
    let kafka = KafkaSettings {
        bootstrap: bootstrap.to_string(),
        security: Default::default(),
        group: group.to_string(),
        replication_factor: 1,
        request_timeout: TIMEOUT,
    };
    let mut c = RunnerConfig::new(kafka, dir.join(instance));
    c.instance_id = Some(instance.to_string());
    c.session_timeout = Duration::from_secs(6);
    c.heartbeat_interval = Duration::from_millis(300);
    c.rebalance_timeout = Duration::from_secs(10);
    c.checkpoint_interval = Duration::from_millis(50);
    c.retry_backoff = Duration::from_millis(200);
    c
}

#[test]
fn a_process_joining_mid_run_takes_tasks_over_exactly_once() {
    crate::init_logs();
    let env = StreamEnvironment::new();
    let single = job(&env, IN_BOUND_MS);
    env.execute().expect("single process");
    let expected = sorted(single.values());

    let broker = broker();
    let bootstrap = broker.handle.bootstrap_servers();
    spate_kafka_client::BrokerConnection::connect_to(&bootstrap, TIMEOUT)
        .expect("connect")
        .create_topic("out", 1, 1, &[])
        .expect("output topic");
    let group = "scale-up";
    let b = bootstrap.clone();
    // About 3 s of input: a 2 ms pause every other record.
    let build: JobBuilder = Arc::new(move || {
        let env = StreamEnvironment::new();
        paced_job(&env, &b, group, 2);
        Ok(env)
    });
    let dirs = tempfile::tempdir().expect("dir");
    let spawn = |instance: &'static str| {
        let (config, build) = (config(&bootstrap, group, dirs.path(), instance), build.clone());
        std::thread::spawn(move || run_distributed(config, build, Arc::new(AtomicBool::new(false))))
    };
    let first = spawn("p1");
    std::thread::sleep(Duration::from_millis(800));
    let second = spawn("p2");
    first.join().expect("p1").expect("p1 runs");
    second.join().expect("p2").expect("p2 runs");
    assert_same(committed_lines(&bootstrap, "out"), &expected);
}
