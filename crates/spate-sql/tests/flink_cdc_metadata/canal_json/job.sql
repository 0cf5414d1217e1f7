-- Session time zone pinned to UTC (the machine's zone is Etc/UTC too).
SET 'table.local-time-zone' = 'UTC';
CREATE TABLE canal (
  id INT,
  name STRING,
  weight DOUBLE,
  origin_database STRING METADATA FROM 'value.database' VIRTUAL,
  origin_table STRING METADATA FROM 'value.table' VIRTUAL,
  origin_sql_type MAP<STRING, INT> METADATA FROM 'value.sql-type' VIRTUAL,
  origin_pk_names ARRAY<STRING> METADATA FROM 'value.pk-names' VIRTUAL,
  ingestion_ts TIMESTAMP_LTZ(3) METADATA FROM 'value.ingestion-timestamp' VIRTUAL,
  event_ts TIMESTAMP_LTZ(3) METADATA FROM 'value.event-timestamp' VIRTUAL,
  kafka_topic STRING METADATA FROM 'topic' VIRTUAL,
  kafka_partition INT METADATA FROM 'partition' VIRTUAL,
  kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL
) WITH (
  'connector' = 'kafka',
  'topic' = 'canal_products',
  'properties.bootstrap.servers' = '127.0.0.1:47533',
  'properties.group.id' = 'helper-cdc',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'canal-json'
);
SELECT
  id,
  name,
  weight,
  origin_database,
  origin_table,
  CAST(origin_sql_type AS STRING) AS origin_sql_type,
  origin_pk_names,
  CAST(ingestion_ts AS STRING) AS ingestion_ts,
  CAST(event_ts AS STRING) AS event_ts,
  kafka_topic,
  kafka_partition,
  kafka_offset
FROM canal;
