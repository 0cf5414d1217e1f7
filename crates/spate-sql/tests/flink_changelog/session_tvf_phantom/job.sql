-- Session windows over a changelog whose retractions have no insertion before them (a changelog
-- read from the middle). A retraction opens and merges a session like an insertion: c's lone
-- deletion makes a session with count -1 (emitted: only a count of exactly 0 is empty, and
-- SUM/MAX are computed from the accumulators: -4 and NULL); d's deletion at 5 bridges 1-6 and
-- 10-15 into one session; f's insertion and unrelated deletion net to count 0, so its session is
-- not emitted although its SUM would be 8 - 9.
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
