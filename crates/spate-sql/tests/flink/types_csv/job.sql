-- Pins Flink's CSV format: scalar types read from and written to CSV, NULLs (empty fields),
-- quoting of strings with commas, quotes and newlines, and the empty string. The source reads
-- the literal NULL as NULL (an empty numeric field fails the job by default); the sink keeps
-- the defaults.
SET 'execution.checkpointing.interval' = '1s';

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
  ts TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/values.csv',
  'format' = 'csv',
  'csv.null-literal' = 'NULL'
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
  s_len INT,
  arr ARRAY<INT>,
  r ROW<a INT, b STRING>
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/typed_out',
  'format' = 'csv'
);

INSERT INTO typed_out
SELECT *, CHAR_LENGTH(s), ARRAY[id, ti], ROW(i, s)
FROM typed_in;
