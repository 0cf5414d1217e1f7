SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE ev (
  ts TIMESTAMP(3),
  k STRING,
  v INT,
  b BIGINT,
  d DOUBLE,
  m DECIMAL(10, 2),
  s STRING,
  t TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/ev.json',
  'format' = 'json'
);

CREATE TABLE agg_types (
  window_start TIMESTAMP(3),
  k STRING,
  cnt BIGINT,
  avg_v STRING,
  avg_b STRING,
  avg_d STRING,
  avg_m STRING,
  sum_m STRING,
  sum_b BIGINT,
  min_s STRING,
  max_s STRING,
  min_t TIMESTAMP(3),
  max_t TIMESTAMP(3),
  cnt_dist2 BIGINT,
  sum_dist INT,
  f1 BIGINT,
  f2 INT,
  f3 STRING,
  min_d DOUBLE,
  max_m DECIMAL(10, 2)
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/agg_types',
  'format' = 'json'
);

CREATE TABLE by_expr (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  g STRING,
  cnt BIGINT,
  total INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/by_expr',
  'format' = 'json'
);

CREATE TABLE filtered_agg (
  w STRING,
  k STRING,
  total INT,
  ratio DOUBLE
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/filtered_agg',
  'format' = 'json'
);

CREATE TABLE global_agg (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  cnt BIGINT,
  keys BIGINT,
  stddev_d DOUBLE,
  var_v STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/global_agg',
  'format' = 'json'
);

INSERT INTO agg_types
SELECT
  window_start,
  k,
  COUNT(*),
  CAST(AVG(v) AS STRING),
  CAST(AVG(b) AS STRING),
  CAST(AVG(d) AS STRING),
  CAST(AVG(m) AS STRING),
  CAST(SUM(m) AS STRING),
  SUM(b),
  MIN(s),
  MAX(s),
  MIN(t),
  MAX(t),
  COUNT(DISTINCT s),
  SUM(DISTINCT v),
  COUNT(*) FILTER (WHERE v > 0),
  SUM(v) FILTER (WHERE d IS NULL),
  CAST(MAX(m) FILTER (WHERE s <> 'pear') AS STRING),
  MIN(d),
  MAX(m)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;

INSERT INTO by_expr
SELECT window_start, window_end, UPPER(SUBSTRING(s, 1, 1)) AS g, COUNT(*), SUM(v)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, UPPER(SUBSTRING(s, 1, 1))
HAVING COUNT(*) >= 2 OR SUM(v) < 0;

INSERT INTO filtered_agg
SELECT CONCAT(DATE_FORMAT(window_start, 'HH:mm:ss'), '-', DATE_FORMAT(window_end, 'HH:mm:ss')), k, total, total / 2.0
FROM (
  SELECT window_start, window_end, k, SUM(v) AS total, COUNT(*) AS c
  FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
  GROUP BY window_start, window_end, k
)
WHERE c > 1 AND total IS NOT NULL;

INSERT INTO global_agg
SELECT window_start, window_end, COUNT(*), COUNT(DISTINCT k), MAX(d), CAST(SUM(v) AS STRING)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
