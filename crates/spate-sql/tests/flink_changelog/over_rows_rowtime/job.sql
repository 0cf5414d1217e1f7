-- An event-time OVER aggregate over the 2 rows before each row and itself
-- (RowTimeRowsBoundedPrecedingFunction): rows wait for the watermark, go in time order (rows of
-- one time in arrival order), each emitted once with its frame's aggregates; a row not after the
-- last time fired for its key is late and dropped (ids 13 and 16).
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE sales (
  id INT,
  cat STRING,
  price INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/sales.csv',
  'format' = 'csv'
);

SELECT id, cat, price, ts,
  SUM(price) OVER (PARTITION BY cat ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS s,
  COUNT(*) OVER (PARTITION BY cat ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS n,
  MAX(price) OVER (PARTITION BY cat ORDER BY ts ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) AS hi
FROM sales;
