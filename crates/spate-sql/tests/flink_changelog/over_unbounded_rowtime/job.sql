-- Event-time OVER aggregates from the partition's start (ROWS; RowTimeRowsUnboundedPrecedingFunction):
-- rows not after the watermark are late and dropped.
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
  SUM(price) OVER (PARTITION BY cat ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS total,
  COUNT(price) OVER (PARTITION BY cat ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS n
FROM sales;
