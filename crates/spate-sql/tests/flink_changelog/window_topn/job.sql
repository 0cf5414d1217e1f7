-- Window Top-N: the 2 highest prices per category in each 10-second tumbling window, with the
-- rank, emitted once when the watermark passes the window's end (insert-only); late rows dropped.
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

SELECT * FROM (
  SELECT window_start, window_end, id, cat, price,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end, cat ORDER BY price DESC) AS rn
  FROM TABLE(TUMBLE(TABLE sales, DESCRIPTOR(ts), INTERVAL '10' SECOND))
) WHERE rn <= 2;
