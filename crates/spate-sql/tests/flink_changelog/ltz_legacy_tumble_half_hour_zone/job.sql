-- ltz_tumble_half_hour_zone with a legacy group window (GROUP BY TUMBLE(...)), whose operator
-- registers a window's timer when a row arrives: the window 05:00-06:00 (00:30Z) fires when order
-- 3's row (00:40Z) moves the watermark to 00:39Z, so order 2's update comes late and is dropped.
SET 'pipeline.auto-watermark-interval' = '0';
SET 'table.local-time-zone' = 'Asia/Kolkata';

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

SELECT TUMBLE_START(ts, INTERVAL '1' HOUR) AS ws,
       TUMBLE_END(ts, INTERVAL '1' HOUR) AS we,
       item, COUNT(*) AS n, SUM(amount) AS total, MAX(amount) AS top
FROM orders
GROUP BY TUMBLE(ts, INTERVAL '1' HOUR), item;
