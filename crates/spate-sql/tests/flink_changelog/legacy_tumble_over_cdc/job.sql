-- A legacy group window (GROUP BY TUMBLE(...)) over a changelog; same input and same rows as
-- window_over_cdc. Plan: GroupWindowAggregate (WindowOperator), retracting aggregates; a window's
-- row comes out once, as +I, when the watermark passes its end, unless its count is 0; later
-- changes to it are dropped. TUMBLE_ROWTIME is the window's end - 1 ms.
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

SELECT TUMBLE_START(ts, INTERVAL '10' SECOND) AS ws,
       TUMBLE_END(ts, INTERVAL '10' SECOND) AS we,
       TUMBLE_ROWTIME(ts, INTERVAL '10' SECOND) AS wt,
       item, COUNT(*) AS n, SUM(amount) AS total, MAX(amount) AS top
FROM orders
GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), item;
