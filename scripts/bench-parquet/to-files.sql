-- Issue 44's file benchmark: Kafka JSON events -> the filesystem connector in ${FORMAT}
-- (json lines or parquet), parallelism 2, every column copied. scripts/bench-parquet.sh fills
-- in the placeholders and runs the same file once per format over the same events.
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
  'format' = 'json'
);

CREATE TABLE files (
  user_id BIGINT,
  amount BIGINT,
  item STRING,
  country STRING,
  device STRING,
  price DOUBLE,
  ts TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUTPUT}',
  'format' = '${FORMAT}'${FORMAT_OPTIONS}
);

INSERT INTO files SELECT * FROM events;
