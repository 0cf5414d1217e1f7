-- Window joins: both sides TUMBLE 10 s, joined on window_start, window_end and a key; INNER,
-- LEFT OUTER and FULL OUTER in separate sinks. NULL keys never match. Each input is in order
-- within the 2 s watermark delay, so nothing is late however the two sources interleave.
SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE left_events (
  ts TIMESTAMP(3),
  k STRING,
  lv INT,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/left_events.json',
  'format' = 'json'
);

CREATE TABLE right_events (
  ts TIMESTAMP(3),
  k STRING,
  rv INT,
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/right_events.json',
  'format' = 'json'
);

CREATE TABLE inner_join (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  k STRING,
  lv INT,
  rv INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/inner_join',
  'format' = 'json'
);

CREATE TABLE left_join (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  lk STRING,
  rk STRING,
  lv INT,
  rv INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/left_join',
  'format' = 'json'
);

CREATE TABLE full_join (
  l_window_start TIMESTAMP(3),
  r_window_start TIMESTAMP(3),
  window_start TIMESTAMP(3),
  lk STRING,
  rk STRING,
  lv INT,
  rv INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/full_join',
  'format' = 'json'
);

INSERT INTO inner_join
SELECT L.window_start, L.window_end, L.k, L.lv, R.rv
FROM (
  SELECT * FROM TABLE(TUMBLE(TABLE left_events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
) L
JOIN (
  SELECT * FROM TABLE(TUMBLE(TABLE right_events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
) R
ON L.window_start = R.window_start AND L.window_end = R.window_end AND L.k = R.k;

INSERT INTO left_join
SELECT L.window_start, L.window_end, L.k AS lk, R.k AS rk, L.lv, R.rv
FROM (
  SELECT * FROM TABLE(TUMBLE(TABLE left_events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
) L
LEFT JOIN (
  SELECT * FROM TABLE(TUMBLE(TABLE right_events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
) R
ON L.window_start = R.window_start AND L.window_end = R.window_end AND L.k = R.k;

INSERT INTO full_join
SELECT
  L.window_start AS l_window_start,
  R.window_start AS r_window_start,
  COALESCE(L.window_start, R.window_start) AS window_start,
  L.k AS lk,
  R.k AS rk,
  L.lv,
  R.rv
FROM (
  SELECT * FROM TABLE(TUMBLE(TABLE left_events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
) L
FULL JOIN (
  SELECT * FROM TABLE(TUMBLE(TABLE right_events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
) R
ON L.window_start = R.window_start AND L.window_end = R.window_end AND L.k = R.k;
