-- Session windows merge when they touch: a row exactly one gap after another (the window
-- [ts, ts + gap) meeting the next at its end) joins its session (a, c in either order); 1 ms more
-- starts a new one (b). Deleting the row that joined leaves the session as long (a).
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE orders (
  id INT,
  item STRING,
  amount INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '30' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.json',
  'format' = 'debezium-json'
);

SELECT window_start, window_end, item, COUNT(*) AS n, SUM(amount) AS total, MAX(amount) AS top
FROM TABLE(SESSION(TABLE orders PARTITION BY item, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY window_start, window_end, item;
