-- A legacy hopping group window (GROUP BY HOP(...)) over a changelog; same input as
-- window_over_cdc. Each change goes into each of its row's windows; windows are emitted once, as
-- +I, when the watermark passes their end, unless their count is 0 (b); changes for fired windows
-- are dropped.
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE orders (
  id INT,
  item STRING,
  amount INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.json',
  'format' = 'debezium-json'
);

SELECT HOP_START(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND) AS ws,
       HOP_END(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND) AS we,
       item, COUNT(*) AS n, SUM(amount) AS total, MAX(amount) AS top
FROM orders
GROUP BY HOP(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND), item;
