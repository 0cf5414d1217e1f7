-- A processing-time session window TVF over a changelog.
-- Accepted (plan: WindowAggregate, SESSION(time_col=[pt], partition keys=[item]), with retracting
-- aggregates). A row's window is chosen by the wall clock when the change reaches the window
-- operator, a retraction's too: one landing in a later window than its row makes a negative count
-- there, which is emitted; a window whose count nets to 0 is not. Windows fire on processing-time
-- timers; this input ends well within one window, and at the end of a bounded input Flink 2.3 does
-- not fire pending processing-time timers, so the job returns no rows.
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

SELECT window_start, window_end, item, COUNT(*) AS n, SUM(amount) AS total
FROM TABLE(SESSION(TABLE orders PARTITION BY item, DESCRIPTOR(pt), INTERVAL '5' SECOND))
GROUP BY window_start, window_end, item;
