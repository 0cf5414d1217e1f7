SET 'table.local-time-zone' = 'UTC';
CREATE TABLE dbz (
  id INT,
  name STRING,
  weight DOUBLE,
  source_ts TIMESTAMP_LTZ(3) METADATA FROM 'value.source.timestamp' VIRTUAL,
  source_db STRING METADATA FROM 'value.source.database' VIRTUAL
) WITH (
  'connector' = 'kafka',
  'topic' = 'dbz_badts',
  'properties.bootstrap.servers' = '127.0.0.1:47533',
  'properties.group.id' = 'helper-cdc',
  'scan.startup.mode' = 'earliest-offset',
  'scan.bounded.mode' = 'latest-offset',
  'format' = 'debezium-json'
);
SELECT id, weight, CAST(source_ts AS STRING) AS source_ts FROM dbz;
