-- Pins Flink's JSON format: a sink with every scalar and nested type, NULLs included, written
-- from a JSON source of the same types; a second sink casts every column to STRING (Flink's
-- text form of each type). The session time zone is not UTC, so TIMESTAMP_LTZ conversions show.
SET 'execution.checkpointing.interval' = '1s';
SET 'table.local-time-zone' = 'Asia/Kolkata';

CREATE TABLE typed_in (
  id INT,
  b BOOLEAN,
  ti TINYINT,
  si SMALLINT,
  i INT,
  bi BIGINT,
  f FLOAT,
  db DOUBLE,
  `dec` DECIMAL(10, 2),
  s STRING,
  dt DATE,
  tm TIME(0),
  ts TIMESTAMP(3),
  ltz TIMESTAMP_LTZ(3),
  arr ARRAY<INT>,
  mp MAP<STRING, INT>,
  r ROW<a INT, b STRING>
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/values.json',
  'format' = 'json'
);

CREATE TABLE typed_out (
  id INT,
  b BOOLEAN,
  ti TINYINT,
  si SMALLINT,
  i INT,
  bi BIGINT,
  f FLOAT,
  db DOUBLE,
  `dec` DECIMAL(10, 2),
  s STRING,
  dt DATE,
  tm TIME(0),
  ts TIMESTAMP(3),
  ltz TIMESTAMP_LTZ(3),
  arr ARRAY<INT>,
  mp MAP<STRING, INT>,
  r ROW<a INT, b STRING>,
  ltz_as_ts TIMESTAMP(3),
  ts_as_ltz TIMESTAMP_LTZ(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/typed_out',
  'format' = 'json'
);

CREATE TABLE as_text (
  id INT,
  b STRING,
  ti STRING,
  si STRING,
  i STRING,
  bi STRING,
  f STRING,
  db STRING,
  `dec` STRING,
  s STRING,
  dt STRING,
  tm STRING,
  ts STRING,
  ltz STRING,
  arr STRING,
  mp STRING,
  r STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/as_text',
  'format' = 'json'
);

INSERT INTO typed_out
SELECT *, CAST(ltz AS TIMESTAMP(3)), CAST(ts AS TIMESTAMP_LTZ(3))
FROM typed_in;

INSERT INTO as_text
SELECT
  id,
  CAST(b AS STRING),
  CAST(ti AS STRING),
  CAST(si AS STRING),
  CAST(i AS STRING),
  CAST(bi AS STRING),
  CAST(f AS STRING),
  CAST(db AS STRING),
  CAST(`dec` AS STRING),
  CAST(s AS STRING),
  CAST(dt AS STRING),
  CAST(tm AS STRING),
  CAST(ts AS STRING),
  CAST(ltz AS STRING),
  CAST(arr AS STRING),
  CAST(mp AS STRING),
  CAST(r AS STRING)
FROM typed_in;
