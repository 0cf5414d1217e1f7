-- A window join whose output crosses an edge into a window aggregate: each 10 s window joins
-- 5 M row pairs, fired at once by its watermark (the burst the keyed timers' resumable firing
-- bounds, BENCHMARKS.md session 15). Run: spate sql -f scripts/bench-sql/window-join-burst.sql
SET 'parallelism.default' = '1';
CREATE TABLE a (
  id BIGINT,
  k AS id % 200000,
  ts AS TO_TIMESTAMP_LTZ(id / 100, 3),
  WATERMARK FOR ts AS ts
) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000000', 'number-of-rows' = '2000000',
        'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '2000000');
CREATE TABLE b (
  id BIGINT,
  k AS id % 200000,
  ts AS TO_TIMESTAMP_LTZ(id / 100, 3),
  WATERMARK FOR ts AS ts
) WITH ('connector' = 'datagen', 'rows-per-second' = '1000000000', 'number-of-rows' = '2000000',
        'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '2000000');
CREATE TABLE out_t (window_start TIMESTAMP_LTZ(3), cnt BIGINT) WITH ('connector' = 'blackhole');
CREATE VIEW j AS
  SELECT L.window_time AS wt, L.k
  FROM (SELECT * FROM TABLE(TUMBLE(TABLE a, DESCRIPTOR(ts), INTERVAL '10' SECOND))) L
  JOIN (SELECT * FROM TABLE(TUMBLE(TABLE b, DESCRIPTOR(ts), INTERVAL '10' SECOND))) R
  ON L.k = R.k AND L.window_start = R.window_start AND L.window_end = R.window_end;
INSERT INTO out_t
SELECT window_start, COUNT(*) FROM TABLE(TUMBLE(TABLE j, DESCRIPTOR(wt), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;
