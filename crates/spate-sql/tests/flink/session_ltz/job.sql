-- Session windows over a TIMESTAMP_LTZ rowtime in America/Los_Angeles across the 2026 fall-back
-- (2026-11-01 02:00 PDT → 01:00 PST; 09:00 UTC), out of order within the watermark's hour:
-- a session of key a runs from 00:50 PDT through the repeated 01:00 hour (01:40 PDT, then
-- 01:05 PST 25 minutes later), so its local window_end is earlier on the clock than some of its
-- rows; key b's session spans the change too; key c's crosses local midnight. The SESSION
-- table function (keyed and global) and the legacy GROUP BY SESSION with SESSION_START,
-- SESSION_END and SESSION_ROWTIME.
SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';
SET 'table.local-time-zone' = 'America/Los_Angeles';

CREATE TABLE events (
  id INT,
  k STRING,
  epoch_ms BIGINT,
  ts AS TO_TIMESTAMP_LTZ(epoch_ms, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' HOUR
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.json',
  'format' = 'json'
);

CREATE TABLE session_by_key (
  k STRING,
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  window_time TIMESTAMP_LTZ(3),
  window_time_text STRING,
  n BIGINT,
  ids STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/session_by_key',
  'format' = 'json'
);

CREATE TABLE session_global (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  window_time_text STRING,
  n BIGINT,
  keys_seen BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/session_global',
  'format' = 'json'
);

CREATE TABLE legacy_session (
  k STRING,
  s_start TIMESTAMP(3),
  s_end TIMESTAMP(3),
  s_rowtime_text STRING,
  n BIGINT,
  first_id INT,
  last_id INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/legacy_session',
  'format' = 'json'
);

INSERT INTO session_by_key
SELECT k, window_start, window_end, window_time, CAST(window_time AS STRING), COUNT(*),
  LISTAGG(CAST(id AS STRING))
FROM TABLE(SESSION(TABLE events PARTITION BY k, DESCRIPTOR(ts), INTERVAL '30' MINUTE))
GROUP BY k, window_start, window_end, window_time;

INSERT INTO session_global
SELECT window_start, window_end, CAST(window_time AS STRING), COUNT(*), COUNT(DISTINCT k)
FROM TABLE(SESSION(TABLE events, DESCRIPTOR(ts), INTERVAL '20' MINUTE))
GROUP BY window_start, window_end, window_time;

INSERT INTO legacy_session
SELECT
  k,
  SESSION_START(ts, INTERVAL '30' MINUTE),
  SESSION_END(ts, INTERVAL '30' MINUTE),
  CAST(SESSION_ROWTIME(ts, INTERVAL '30' MINUTE) AS STRING),
  COUNT(*),
  MIN(id),
  MAX(id)
FROM events
GROUP BY k, SESSION(ts, INTERVAL '30' MINUTE);
