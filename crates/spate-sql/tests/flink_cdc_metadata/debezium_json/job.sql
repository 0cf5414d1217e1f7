-- Session time zone pinned to UTC (the machine's zone is Etc/UTC too).
SET 'table.local-time-zone' = 'UTC';
CREATE TABLE dbz (
  id INT,
  name STRING,
  weight DOUBLE,
  origin_schema STRING METADATA FROM 'value.schema' VIRTUAL,
  ingestion_ts TIMESTAMP_LTZ(3) METADATA FROM 'value.ingestion-timestamp' VIRTUAL,
  source_ts TIMESTAMP_LTZ(3) METADATA FROM 'value.source.timestamp' VIRTUAL,
  source_db STRING METADATA FROM 'value.source.database' VIRTUAL,
  source_schema STRING METADATA FROM 'value.source.schema' VIRTUAL,
  source_table STRING METADATA FROM 'value.source.table' VIRTUAL,
  source_props MAP<STRING, STRING> METADATA FROM 'value.source.properties' VIRTUAL,
  kafka_topic STRING METADATA FROM 'topic' VIRTUAL,
  kafka_partition INT METADATA FROM 'partition' VIRTUAL,
  kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL
) WITH (
  'connector' = 'kafka',
  'topic' = 'dbz_products',
  'properties.bootstrap.servers' = '127.0.0.1:47533',
  'properties.group.id' = 'helper-cdc',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'debezium-json'
);
SELECT
  id,
  name,
  weight,
  origin_schema,
  CAST(ingestion_ts AS STRING) AS ingestion_ts,
  CAST(source_ts AS STRING) AS source_ts,
  source_db,
  source_schema,
  source_table,
  CAST(source_props AS STRING) AS source_props,
  kafka_topic,
  kafka_partition,
  kafka_offset
FROM dbz;
