-- EXPLAIN CHANGELOG_MODE of a cumulating window aggregate: one row per key and window, and
-- cumulating windows share their start, so the upsert key is the key with window_end only.
CREATE TABLE clicks (k STRING, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '1' SECOND)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
EXPLAIN CHANGELOG_MODE
SELECT window_start, window_end, k, COUNT(*) AS c
FROM TABLE(CUMULATE(TABLE clicks, DESCRIPTOR(ts), INTERVAL '1' MINUTE, INTERVAL '1' HOUR))
GROUP BY window_start, window_end, k;
