-- Cascaded windows: a view aggregates per 5 s tumbling window and selects window_time (a time
-- attribute), and a 10 s TUMBLE over the view's window_time aggregates again. Both levels are
-- written. The view renames window_start and window_end: the outer TUMBLE adds its own, and
-- Flink rejects the query as ambiguous ("Column 'window_start' is ambiguous") when both exist.
SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE events (
  ts TIMESTAMP(3),
  k STRING,
  v INT,
  s STRING,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.json',
  'format' = 'json'
);

CREATE VIEW per_5s AS
SELECT
  window_start AS start_5s,
  window_end AS end_5s,
  window_time,
  k,
  COUNT(*) AS cnt,
  SUM(v) AS sum_v
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND))
GROUP BY window_start, window_end, window_time, k;

CREATE TABLE level_5s (
  start_5s TIMESTAMP(3),
  end_5s TIMESTAMP(3),
  window_time TIMESTAMP(3),
  k STRING,
  cnt BIGINT,
  sum_v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/level_5s',
  'format' = 'json'
);

CREATE TABLE level_10s (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  k STRING,
  total BIGINT,
  max_sum INT,
  sub_windows BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/level_10s',
  'format' = 'json'
);

INSERT INTO level_5s
SELECT * FROM per_5s;

INSERT INTO level_10s
SELECT window_start, window_end, k, SUM(cnt), MAX(sum_v), COUNT(*)
FROM TABLE(TUMBLE(TABLE per_5s, DESCRIPTOR(window_time), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;
