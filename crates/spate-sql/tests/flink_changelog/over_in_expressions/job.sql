-- Window functions inside expressions: arithmetic on an OVER aggregate, an aggregate under
-- COALESCE, one in a CASE condition, over a ROWS frame of the row before and the current row
-- (Flink computes the OVER aggregate, then projects). Rows not after the watermark are late and
-- dropped.
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

SELECT id, price - AVG(price) OVER w AS d, SUM(price) OVER w * 2 AS s2, COALESCE(MAX(price) OVER w, 0) + COUNT(*) OVER w AS m, CASE WHEN COUNT(*) OVER w > 1 THEN 'two' ELSE 'one' END AS n FROM sales WINDOW w AS (PARTITION BY cat ORDER BY ts ROWS BETWEEN 1 PRECEDING AND CURRENT ROW);
