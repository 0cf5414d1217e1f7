-- An event-time OVER aggregate over the rows of the last 5 seconds (RANGE, inclusive; rows of
-- one time are peers with one result; RowTimeRangeBoundedPrecedingFunction).
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
  SUM(price) OVER w AS s, MIN(price) OVER w AS lo, AVG(price) OVER w AS av
FROM sales
WINDOW w AS (PARTITION BY cat ORDER BY ts RANGE BETWEEN INTERVAL '5' SECOND PRECEDING AND CURRENT ROW);
