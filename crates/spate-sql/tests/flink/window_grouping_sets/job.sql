-- GROUPING SETS, ROLLUP and CUBE in window aggregates: the window is in every set, and each
-- window's row per group of every set comes out when the window closes. GROUPING_ID tells the
-- sets apart (the keys a set leaves out are NULL).
SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE events (
  ts TIMESTAMP(3),
  k STRING,
  v INT,
  d DOUBLE,
  m DECIMAL(10, 2),
  u STRING,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.json',
  'format' = 'json'
);

CREATE TABLE rollup_out (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  k STRING,
  u STRING,
  cnt BIGINT,
  sum_v INT,
  gid BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/rollup_out',
  'format' = 'json'
);

CREATE TABLE sets_out (
  window_start TIMESTAMP(3),
  k STRING,
  max_d DOUBLE,
  gk BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/sets_out',
  'format' = 'json'
);

INSERT INTO rollup_out
SELECT window_start, window_end, k, u, COUNT(*), SUM(v), GROUPING_ID(k, u)
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, ROLLUP (k, u);

INSERT INTO sets_out
SELECT window_start, k, MAX(d), GROUPING(k)
FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY GROUPING SETS ((window_start, window_end, k), (window_start, window_end));
