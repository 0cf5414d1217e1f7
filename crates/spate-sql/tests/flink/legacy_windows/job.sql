-- Legacy group windows in GROUP BY: TUMBLE with TUMBLE_START/END/ROWTIME, HOP with
-- HOP_START/END, SESSION with SESSION_START/END; watermark 2 s behind, per record. Legacy
-- windows drop a late record only from the windows that have already fired.
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

CREATE TABLE legacy_tumble (
  k STRING,
  wstart TIMESTAMP(3),
  wend TIMESTAMP(3),
  wrowtime TIMESTAMP(3),
  cnt BIGINT,
  sum_v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/legacy_tumble',
  'format' = 'json'
);

CREATE TABLE legacy_hop (
  k STRING,
  wstart TIMESTAMP(3),
  wend TIMESTAMP(3),
  cnt BIGINT,
  max_v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/legacy_hop',
  'format' = 'json'
);

CREATE TABLE legacy_session (
  k STRING,
  wstart TIMESTAMP(3),
  wend TIMESTAMP(3),
  cnt BIGINT,
  sum_v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/legacy_session',
  'format' = 'json'
);

INSERT INTO legacy_tumble
SELECT
  k,
  TUMBLE_START(ts, INTERVAL '10' SECOND),
  TUMBLE_END(ts, INTERVAL '10' SECOND),
  TUMBLE_ROWTIME(ts, INTERVAL '10' SECOND),
  COUNT(*),
  SUM(v)
FROM events
GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k;

INSERT INTO legacy_hop
SELECT
  k,
  HOP_START(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND),
  HOP_END(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND),
  COUNT(*),
  MAX(v)
FROM events
GROUP BY HOP(ts, INTERVAL '5' SECOND, INTERVAL '10' SECOND), k;

INSERT INTO legacy_session
SELECT
  k,
  SESSION_START(ts, INTERVAL '3' SECOND),
  SESSION_END(ts, INTERVAL '3' SECOND),
  COUNT(*),
  SUM(v)
FROM events
GROUP BY k, SESSION(ts, INTERVAL '3' SECOND);
