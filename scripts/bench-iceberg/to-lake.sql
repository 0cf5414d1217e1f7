-- Issue 44's Iceberg benchmark: Kafka JSON events -> an Iceberg table (hadoop catalog, Parquet
-- zstd, Iceberg's default) or, for the side-by-side ratio, Parquet zstd files of the
-- filesystem connector; parallelism 2, every column copied, a checkpoint every
-- ${INTERVAL}. scripts/bench-iceberg.sh fills in the placeholders.
SET 'parallelism.default' = '2';
SET 'execution.checkpointing.interval' = '${INTERVAL}';

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
  'properties.group.id' = 'bench-iceberg',
  'scan.startup.mode' = 'earliest-offset'${BOUNDED},
  'format' = 'json'
);

CREATE TABLE lake (
  user_id BIGINT,
  amount BIGINT,
  item STRING,
  country STRING,
  device STRING,
  price DOUBLE,
  ts TIMESTAMP(3)
) WITH (
  ${SINK}
);

INSERT INTO lake SELECT * FROM events;
