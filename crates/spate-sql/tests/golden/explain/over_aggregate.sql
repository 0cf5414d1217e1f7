-- EXPLAIN of an OVER aggregate on event time: insert-only, keyed by user_id, appending the
-- frame's SUM to each row.
CREATE TABLE events (user_id BIGINT, amount BIGINT, ts TIMESTAMP(3),
    WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE running (user_id BIGINT, amount BIGINT, total BIGINT) WITH ('connector' = 'blackhole');
EXPLAIN CHANGELOG_MODE
INSERT INTO running
SELECT user_id, amount, SUM(amount) OVER (PARTITION BY user_id ORDER BY ts
  ROWS BETWEEN 5 PRECEDING AND CURRENT ROW) FROM events;
