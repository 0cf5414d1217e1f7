-- Issue 43's format benchmark, stateless half: Kafka events -> filter and project -> Kafka, in
-- the format ${FORMAT} on both sides (json, or avro-confluent with the registry at
-- ${REGISTRY}), parallelism 2, at-least-once. scripts/bench-avro-vs-json.sh fills in the
-- placeholders and runs the same file once per format over the same events.
SET 'parallelism.default' = '2';

CREATE TABLE events (
  user_id BIGINT,
  amount BIGINT,
  item STRING,
  country STRING,
  device STRING,
  price DOUBLE,
  ts TIMESTAMP(3)
) WITH (
  'connector' = 'kafka',
  'topic' = '${INPUT}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = '${FORMAT}'${FORMAT_OPTIONS}
);

CREATE TABLE picked (
  user_id BIGINT,
  amount BIGINT,
  item STRING,
  country STRING,
  price DOUBLE,
  ts TIMESTAMP(3)
) WITH (
  'connector' = 'kafka',
  'topic' = '${OUTPUT}',
  'properties.bootstrap.servers' = '${BOOTSTRAP}',
  'format' = '${FORMAT}'${FORMAT_OPTIONS}
);

INSERT INTO picked
SELECT user_id, amount, item, country, price * 1.2, ts
FROM events
WHERE amount >= 100;
