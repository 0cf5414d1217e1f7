-- Daily window TVF on a TIMESTAMP_LTZ(3) rowtime in Asia/Shanghai (UTC+08:00, no daylight
-- saving): the day 2024-01-01 ends at 2024-01-01 16:00Z. Flink 2.3 never emits it (order 1, item
-- a): order 2 (17:00Z) moves the watermark past its end, but the buffered row is flushed to state
-- only at the next UTC-aligned trigger point (2024-01-01 23:59:59.999Z, passed by order 3), and
-- then the window is taken as already fired and gets no timer (see ltz_tumble_half_hour_zone).
-- In UTC the same job emits a's window too.
SET 'pipeline.auto-watermark-interval' = '0';
SET 'table.local-time-zone' = 'Asia/Shanghai';

CREATE TABLE orders (
  id INT,
  item STRING,
  amount INT,
  ts TIMESTAMP_LTZ(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' MINUTE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.json',
  'format' = 'debezium-json'
);

SELECT window_start, window_end, item, COUNT(*) AS n, SUM(amount) AS total
FROM TABLE(TUMBLE(TABLE orders, DESCRIPTOR(ts), INTERVAL '1' DAY))
GROUP BY window_start, window_end, item;
