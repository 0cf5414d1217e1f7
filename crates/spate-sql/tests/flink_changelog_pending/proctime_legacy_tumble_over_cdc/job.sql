-- A processing-time legacy group window (GROUP BY TUMBLE(pt, ...)) over a changelog.
-- Accepted (plan: GroupWindowAggregate, TumblingGroupWindow, with retracting aggregates). A row's
-- window is chosen by the wall clock when the change reaches the window operator, a retraction's
-- too: one landing in a later window than its row makes a negative count there, which is emitted;
-- a window whose count nets to 0 is not. Windows fire on processing-time timers; this input ends
-- well within one window, and at the end of a bounded input Flink 2.3 does not fire pending
-- processing-time timers, so the job returns no rows.
CREATE TABLE orders (
  id INT,
  item STRING,
  amount INT,
  ts TIMESTAMP(3),
  pt AS PROCTIME()
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.json',
  'format' = 'debezium-json'
);

SELECT TUMBLE_START(pt, INTERVAL '10' SECOND) AS ws,
       TUMBLE_END(pt, INTERVAL '10' SECOND) AS we,
       item, COUNT(*) AS n, SUM(amount) AS total
FROM orders
GROUP BY TUMBLE(pt, INTERVAL '10' SECOND), item;
