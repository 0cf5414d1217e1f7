-- Issue 43's format benchmark, updating half: issue 41's GROUP BY user_id (COUNT, SUM, MAX)
-- into upsert-kafka, with key and value in the format ${FORMAT} and the source in it too,
-- parallelism 2, at-least-once. scripts/bench-avro-vs-json.sh fills in the placeholders.
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
  'key.format' = '${FORMAT}'${KEY_OPTIONS},
  'value.format' = '${FORMAT}'${VALUE_OPTIONS}
);

INSERT INTO user_totals
SELECT user_id, COUNT(*), SUM(amount), MAX(item)
FROM events
GROUP BY user_id;
