-- Session windows over a changelog: a session never shrinks or splits. Each change, an insertion
-- or a retraction alike, opens the window [ts, ts + gap) and merges it into the item's sessions
-- it touches; the row is then accumulated into or retracted from the merged session.
-- a: order 1 moved from 1 to 4 leaves the session 1-9. b: order 2's deletion leaves an empty
-- session 2-7 (not emitted), which order 3 at 6 extends to 2-11. e: session 4-9 (order 4) fires
-- when z's row moves the watermark to 10; order 6 at 8 opens 8-13; order 4's deletion (ts 4) is
-- not late, because its window [4, 9) merges with 8-13 (not yet fired) into 4-13, where it is
-- subtracted; order 7 makes it 4-14: count 1 - 1 + 1, total 6 - 4 + 7, max 7.
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
