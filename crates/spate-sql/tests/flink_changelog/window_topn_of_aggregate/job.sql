-- Window Top-N over a window aggregate (Flink's documented pattern): the category with the
-- highest total per 10-second window, with the rank, emitted once per window after the aggregate
-- fires (WindowRank over the WindowAggregate's rows, insert-only).
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
  SELECT window_start, window_end, cat, total, n,
    ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY total DESC) AS rn
  FROM (
    SELECT window_start, window_end, cat, SUM(price) AS total, COUNT(*) AS n
    FROM TABLE(TUMBLE(TABLE sales, DESCRIPTOR(ts), INTERVAL '10' SECOND))
    GROUP BY window_start, window_end, cat
  )
) WHERE rn <= 1;
