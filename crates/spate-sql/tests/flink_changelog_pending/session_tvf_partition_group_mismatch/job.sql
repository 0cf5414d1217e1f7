-- A session window TVF partitioned by item but grouped by window_start and window_end only: not a
-- window aggregate. Flink plans a WindowTableFunction (sessions per item) and then a regular
-- GroupAggregate on (window_start, window_end). Each session's changes come out, with their kinds
-- and in arrival order, when the watermark passes the session's end; the group aggregate then
-- emits an updating changelog (a group whose count drops to 0 is deleted and restarts from
-- nothing: order 4's retraction leaves the session 00:00:03-00:00:14 empty before order 7
-- arrives). Same changes as session_tvf_extent but order 4 at 00:00:03.
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

SELECT window_start, window_end, COUNT(*) AS n, SUM(amount) AS total, MAX(amount) AS top
FROM TABLE(SESSION(TABLE orders PARTITION BY item, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY window_start, window_end;
