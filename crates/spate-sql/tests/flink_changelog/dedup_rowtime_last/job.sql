-- Deduplication keeping each category's last row by event time (ORDER BY ts DESC):
-- RowTimeDeduplicateFunction emits at once, +I for a key's first row, then -U/+U for each row
-- whose time is not older than the row kept; an older row changes nothing.
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

SELECT id, cat, price, ts FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY ts DESC) AS rn
  FROM sales
) WHERE rn = 1;
