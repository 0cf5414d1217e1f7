-- Windows over a TIMESTAMP_LTZ rowtime have TIMESTAMP bounds (local wall-clock time, as in
-- Flink); a sink's TIMESTAMP_LTZ column casts them back. In a UTC session that cast changes no
-- value, so it folds into the window's output like a plain pick: no evaluating stage (the
-- chain ends window-aggregate -> map -> counts).
CREATE TABLE events (id BIGINT, k AS id % 1000, ts AS TO_TIMESTAMP_LTZ(id, 3),
    WATERMARK FOR ts AS ts)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10', 'fields.id.kind' = 'sequence',
        'fields.id.start' = '1', 'fields.id.end' = '10');
CREATE TABLE counts (k BIGINT, window_start TIMESTAMP_LTZ(3), cnt BIGINT)
  WITH ('connector' = 'blackhole');
EXPLAIN INSERT INTO counts
SELECT k, window_start, COUNT(*)
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' SECOND))
GROUP BY window_start, window_end, k;
