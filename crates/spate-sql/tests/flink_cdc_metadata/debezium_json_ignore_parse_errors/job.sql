-- Session time zone pinned to UTC (the machine's zone is Etc/UTC too).
SET 'table.local-time-zone' = 'UTC';
CREATE TABLE dbz (
  id INT,
  name STRING,
  weight DOUBLE,
  ingestion_ts TIMESTAMP_LTZ(3) METADATA FROM 'value.ingestion-timestamp' VIRTUAL,
  source_ts TIMESTAMP_LTZ(3) METADATA FROM 'value.source.timestamp' VIRTUAL,
  source_db STRING METADATA FROM 'value.source.database' VIRTUAL,
  source_table STRING METADATA FROM 'value.source.table' VIRTUAL,
  kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL
) WITH (
  'connector' = 'kafka',
  'topic' = 'dbz_bad',
  'properties.bootstrap.servers' = '127.0.0.1:47533',
  'properties.group.id' = 'helper-cdc',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'debezium-json',
  'debezium-json.ignore-parse-errors' = 'true'
);
SELECT id, name, weight, CAST(ingestion_ts AS STRING) AS ingestion_ts, CAST(source_ts AS STRING) AS source_ts, source_db, source_table, kafka_offset FROM dbz;
