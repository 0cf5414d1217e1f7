-- Session time zone pinned to UTC (the machine's zone is Etc/UTC too).
SET 'table.local-time-zone' = 'UTC';
CREATE TABLE mx (
  id INT,
  name STRING,
  weight DOUBLE,
  origin_database STRING METADATA FROM 'value.database' VIRTUAL,
  origin_table STRING METADATA FROM 'value.table' VIRTUAL,
  origin_pk_columns ARRAY<STRING> METADATA FROM 'value.primary-key-columns' VIRTUAL,
  ingestion_ts TIMESTAMP_LTZ(3) METADATA FROM 'value.ingestion-timestamp' VIRTUAL,
  kafka_topic STRING METADATA FROM 'topic' VIRTUAL,
  kafka_partition INT METADATA FROM 'partition' VIRTUAL,
  kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL
) WITH (
  'connector' = 'kafka',
  'topic' = 'maxwell_products',
  'properties.bootstrap.servers' = '127.0.0.1:47533',
  'properties.group.id' = 'helper-cdc',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'maxwell-json'
);
SELECT
  id,
  name,
  weight,
  origin_database,
  origin_table,
  origin_pk_columns,
  CAST(ingestion_ts AS STRING) AS ingestion_ts,
  kafka_topic,
  kafka_partition,
  kafka_offset
FROM mx;
