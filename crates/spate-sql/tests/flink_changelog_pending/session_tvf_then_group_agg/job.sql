-- A session window TVF without PARTITION BY grouped by a column besides window_start and
-- window_end: not a window aggregate. Flink plans a WindowTableFunction (one session sequence for
-- the whole table, on one task) and then a regular GroupAggregate. The window table function keeps
-- every change, with its kind, in its session, and when the watermark passes the session's end
-- emits them in arrival order, each with the session's final bounds; the group aggregate then
-- emits an updating changelog (a group whose count drops to 0 is deleted and restarts from
-- nothing). Same changes as session_tvf_extent but order 4 at 00:00:03.
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
FROM TABLE(SESSION(TABLE orders, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY window_start, window_end, item;
