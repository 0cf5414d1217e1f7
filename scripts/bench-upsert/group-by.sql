-- Issue 41's updating benchmark as Flink SQL: Kafka JSON events -> GROUP BY user_id (COUNT,
-- SUM, MAX over 100 000 keys) -> upsert-kafka (JSON key and value), parallelism 2, checkpoints
-- every 500 ms. scripts/bench-upsert-vs-flink.sh fills in ${BOOTSTRAP}, ${INPUT}, ${OUTPUT} and
-- ${DELIVERY}, and runs the same file on Flink 2.3 and on Spate.
SET 'parallelism.default' = '2';
SET 'execution.checkpointing.interval' = '500ms';

CREATE TABLE events (
  user_id BIGINT,
  amount BIGINT,
  item STRING
) WITH (
  'connector' = 'kafka',
  'topic' = '${INPUT}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'properties.group.id' = '${OUTPUT}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'json'
);

CREATE TABLE user_totals (
  user_id BIGINT,
  cnt BIGINT,
  total BIGINT,
  top_item STRING,
  PRIMARY KEY (user_id) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = '${OUTPUT}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'key.format' = 'json',
  'value.format' = 'json',
  'sink.delivery-guarantee' = '${DELIVERY}',
  'sink.transactional-id-prefix' = '${OUTPUT}',
  'properties.transaction.timeout.ms' = '900000'
);

INSERT INTO user_totals
SELECT user_id, COUNT(*), SUM(amount), MAX(item)
FROM events
GROUP BY user_id;
