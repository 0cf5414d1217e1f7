-- Window deduplication: each category's last row by event time in each 10-second tumbling
-- window (Flink's WindowDeduplicate), emitted when the window fires.
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

SELECT window_start, window_end, id, cat, price FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY window_start, window_end, cat ORDER BY ts DESC) AS rn
  FROM TABLE(TUMBLE(TABLE sales, DESCRIPTOR(ts), INTERVAL '10' SECOND))
) WHERE rn <= 1;
