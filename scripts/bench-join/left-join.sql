-- Issue 42's join benchmark as Flink SQL: two Kafka JSON topics, orders (one row per order_id)
-- and customers (one row per customer_id; some orders name a customer that does not exist), a
-- regular LEFT JOIN on customer_id into upsert-kafka keyed by order_id. Both inputs are kept in
-- the join's state for ever (no TTL), so the last checkpoint holds every row read. The join's
-- output has no upsert key (orders declares no key; Kafka tables cannot), so Flink 2.3 refuses
-- the INSERT without an ON CONFLICT clause; DO DEDUPLICATE is Flink's SinkUpsertMaterializer,
-- which keeps the live rows of each order_id (one, after a padded row's retraction) in state too.
-- scripts/bench-join-vs-flink.sh fills in ${BOOTSTRAP}, ${ORDERS}, ${CUSTOMERS}, ${OUTPUT},
-- ${PARALLELISM}, ${INTERVAL} and ${FLINK_CHECKPOINTS}, and runs the same file on Flink 2.3 and
-- on Spate. The lines that start with `--flink ` are Flink's checkpoint storage settings, which
-- Spate refuses (it checkpoints to `spate sql --checkpoint-dir`): the script uncomments them for
-- Flink only.
SET 'parallelism.default' = '${PARALLELISM}';
SET 'execution.checkpointing.interval' = '${INTERVAL}';
--flink SET 'execution.checkpointing.dir' = 'file://${FLINK_CHECKPOINTS}';
--flink SET 'execution.checkpointing.num-retained' = '1000';
--flink SET 'execution.checkpointing.externalized-checkpoint-retention' = 'RETAIN_ON_CANCELLATION';
--flink SET 'execution.checkpointing.checkpoints-after-tasks-finish' = 'true';
--flink SET 'state.backend.type' = 'hashmap';

CREATE TABLE orders (
  order_id BIGINT,
  customer_id BIGINT,
  amount BIGINT,
  item STRING
) WITH (
  'connector' = 'kafka',
  'topic' = '${ORDERS}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'properties.group.id' = '${OUTPUT}-orders',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'json'
);

CREATE TABLE customers (
  customer_id BIGINT,
  name STRING,
  region STRING
) WITH (
  'connector' = 'kafka',
  'topic' = '${CUSTOMERS}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'properties.group.id' = '${OUTPUT}-customers',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'json'
);

CREATE TABLE enriched_orders (
  order_id BIGINT,
  customer_id BIGINT,
  amount BIGINT,
  name STRING,
  region STRING,
  PRIMARY KEY (order_id) NOT ENFORCED
) WITH (
  'connector' = 'upsert-kafka',
  'topic' = '${OUTPUT}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'key.format' = 'json',
  'value.format' = 'json'
);

INSERT INTO enriched_orders
SELECT o.order_id, o.customer_id, o.amount, c.name, c.region
FROM orders o
LEFT JOIN customers c ON o.customer_id = c.customer_id
ON CONFLICT DO DEDUPLICATE;
