-- Deduplication keeping each category's first row by event time (ORDER BY ts ASC): Flink 2.3's
-- RowTimeDeduplicateKeepFirstRowFunction holds the earliest row until the watermark passes it and
-- emits it once (+I only); a row older than the watermark is late and dropped (id 13). Watermarks
-- follow every record.
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
  SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY ts ASC) AS rn
  FROM sales
) WHERE rn = 1;
