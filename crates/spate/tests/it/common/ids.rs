//! Topics of `{"id": N}` JSON values, read back with read_committed and checked to hold each id
//! of `0..count` exactly once (the exactly-once tests of issue 39).
#![allow(clippy::unwrap_used, dead_code)]

use std::time::{Duration, Instant};

/// Every value of `topic` (one partition or more) as a read_committed consumer sees it, parsed
/// as `{"id": N}`.
pub fn committed_ids(addr: &str, topic: &str) -> Vec<u64> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", addr)
        .set("group.id", format!("{topic}-check"))
        .set("enable.auto.commit", "false")
        .set("isolation.level", "read_committed")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .unwrap();
    let partitions = metadata.topics()[0].partitions().len();
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p as i32, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let mut eof = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while eof < partitions && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let v: serde_json::Value = serde_json::from_slice(m.payload().unwrap()).unwrap();
                out.push(v["id"].as_u64().unwrap());
            }
            Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => eof += 1,
            Some(Err(e)) => panic!("{e}"),
            None => {}
        }
    }
    assert_eq!(eof, partitions, "read {topic} to its end within 30 s");
    out
}

/// `ids` holds `0..count` exactly once each: names what is missing or twice otherwise.
pub fn assert_each_once(topic: &str, mut ids: Vec<u64>, count: u64, log: &dyn Fn() -> String) {
    ids.sort_unstable();
    let twice: Vec<u64> = ids.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
    let missing: Vec<u64> = (0..count).filter(|i| ids.binary_search(i).is_err()).collect();
    assert!(
        twice.is_empty() && missing.is_empty() && ids.len() as u64 == count,
        "{topic}: {} ids, {} twice (e.g. {:?}), {} missing (e.g. {:?})\n{}",
        ids.len(),
        twice.len(),
        &twice[..twice.len().min(10)],
        missing.len(),
        &missing[..missing.len().min(10)],
        log()
    );
}

/// A bounded statement set (issue 39): `short` ids `0..short` from a datagen sequence into the
/// exactly-once Kafka topic `short-out` (parallelism 2; done at once), and 1 200 rows at 200 a
/// second into a blackhole (six seconds), with no checkpoint within an hour of the start.
/// `bootstrap` empty: the table names no cluster (a server gives it its own).
pub fn short_and_slow_branches(short: u64, bootstrap: &str) -> String {
    let cluster = if bootstrap.is_empty() {
        String::new()
    } else {
        format!("  'properties.bootstrap.servers' = '{bootstrap}',\n")
    };
    format!(
        "SET 'execution.checkpointing.interval' = '1h';
SET 'parallelism.default' = '2';
CREATE TABLE short_ids (id BIGINT) WITH (
  'connector' = 'datagen',
  'fields.id.kind' = 'sequence',
  'fields.id.start' = '0',
  'fields.id.end' = '{}'
);
CREATE TABLE slow_ids (id BIGINT) WITH (
  'connector' = 'datagen',
  'fields.id.kind' = 'sequence',
  'fields.id.start' = '0',
  'fields.id.end' = '1199',
  'rows-per-second' = '200'
);
CREATE TABLE short_out (id BIGINT) WITH (
  'connector' = 'kafka',
  'topic' = 'short-out',
{}  'format' = 'json',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = 'short'
);
CREATE TABLE slow_out (id BIGINT) WITH ('connector' = 'blackhole');
EXECUTE STATEMENT SET BEGIN
INSERT INTO short_out SELECT id FROM short_ids;
INSERT INTO slow_out SELECT id FROM slow_ids;
END;
",
        short - 1,
        cluster
    )
}
