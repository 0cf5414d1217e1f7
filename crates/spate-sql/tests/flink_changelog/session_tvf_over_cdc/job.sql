-- A session window TVF (PARTITION BY item) aggregated over a changelog. Flink plans a
-- WindowAggregate (UnsliceWindowAggOperator with MergingWindowProcessFunction). Every change,
-- insertion or retraction, opens [ts, ts + gap) and merges into the item's sessions it touches;
-- its row is then accumulated into or retracted from the merged session. A session never shrinks
-- or splits: order 3 bridges a's sessions 1-6 and 10-15, and its deletion leaves one session
-- 1-15. A session comes out once, as +I, when the watermark passes its end, unless its count is 0
-- (b's 2-7). A change whose merged session has already fired is late and dropped (order 7, the
-- deletion of order 1). Watermarks follow every record.
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
