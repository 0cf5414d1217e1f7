-- The default frame (RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) on event time
-- (RowTimeRangeUnboundedPrecedingFunction): rows of one time are peers with one result.
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
  COUNT(*) OVER (PARTITION BY cat ORDER BY ts) AS n,
  SUM(price) OVER (PARTITION BY cat ORDER BY ts) AS total
FROM sales;
