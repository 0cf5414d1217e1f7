-- The job of `spate bench pipeline` as Flink SQL: Kafka (key `k<n>`, value `v<n>`, the record
-- timestamp as event time) -> per-key 1 s TUMBLE COUNT(*) -> Kafka (JSON), parallelism 2,
-- checkpoints every 500 ms. scripts/bench-pipeline-vs-flink.sh fills in ${BOOTSTRAP}, ${INPUT},
-- ${OUTPUT} and ${DELIVERY} (at-least-once or exactly-once), and runs it on Flink 2.3 and on Spate.
SET 'parallelism.default' = '2';
SET 'execution.checkpointing.interval' = '500ms';

CREATE TABLE input (
  k STRING,
  v STRING,
  ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp',
  -- Flink's strategy for ascending timestamps that repeat (1000 records share each millisecond):
  -- a row whose timestamp equals the watermark would be late.
  WATERMARK FOR ts AS ts - INTERVAL '0.001' SECOND
) WITH (
  'connector' = 'kafka',
  'topic' = '${INPUT}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'properties.group.id' = '${OUTPUT}',
  'properties.isolation.level' = 'read_committed',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'key.format' = 'raw',
  'key.fields' = 'k',
  'value.format' = 'raw',
  'value.fields-include' = 'EXCEPT_KEY'
);

CREATE TABLE output (
  k STRING,
  window_end TIMESTAMP_LTZ(3),
  cnt BIGINT
) WITH (
  'connector' = 'kafka',
  'topic' = '${OUTPUT}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'key.format' = 'raw',
  'key.fields' = 'k',
  'value.format' = 'json',
  'sink.delivery-guarantee' = '${DELIVERY}',
  'sink.transactional-id-prefix' = '${OUTPUT}',
  -- Flink's sink asks for 1 h transactions, more than a broker's default
  -- transaction.max.timeout.ms (15 min, Kafka's and Spate's): InitProducerId would fail.
  'properties.transaction.timeout.ms' = '900000'
);

INSERT INTO output
SELECT k, window_end, COUNT(*)
FROM TABLE(TUMBLE(TABLE input, DESCRIPTOR(ts), INTERVAL '1' SECOND))
GROUP BY k, window_start, window_end;
