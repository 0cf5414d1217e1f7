-- Windows shorter than the repeated hour of a fall-back change (America/Los_Angeles,
-- 2026-11-01 02:00 PDT → 01:00 PST; 09:00 UTC), over a TIMESTAMP_LTZ rowtime with the
-- watermark one second behind, rows in order: the local window 01:00–01:30 gets rows from both
-- passes through 01:00–02:00, an hour apart in real time. Flink fires such a window at the later
-- instant of its end, so the second pass's rows are not late. TUMBLE of 30 minutes, HOP of 30
-- minutes every 15, CUMULATE of 1 hour in 20-minute steps, keyed and global. LISTAGG over the
-- HOP lists its slices from the last back, slices cut in local time (`4,3,6` in 01:15–01:45).
SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';
SET 'table.local-time-zone' = 'America/Los_Angeles';

CREATE TABLE events (
  id INT,
  k STRING,
  epoch_ms BIGINT,
  ts AS TO_TIMESTAMP_LTZ(epoch_ms, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.json',
  'format' = 'json'
);

CREATE TABLE tumble_30m (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  window_time TIMESTAMP_LTZ(3),
  n BIGINT,
  ids STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/tumble_30m',
  'format' = 'json'
);

CREATE TABLE hop_30m_15m (
  k STRING,
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  n BIGINT,
  ids STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/hop_30m_15m',
  'format' = 'json'
);

CREATE TABLE cumulate_1h_20m (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  window_time_text STRING,
  n BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/cumulate_1h_20m',
  'format' = 'json'
);

INSERT INTO tumble_30m
SELECT window_start, window_end, window_time, COUNT(*), LISTAGG(CAST(id AS STRING))
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '30' MINUTE))
GROUP BY window_start, window_end, window_time;

INSERT INTO hop_30m_15m
SELECT k, window_start, window_end, COUNT(*), LISTAGG(CAST(id AS STRING))
FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '15' MINUTE, INTERVAL '30' MINUTE))
GROUP BY k, window_start, window_end;

INSERT INTO cumulate_1h_20m
SELECT window_start, window_end, CAST(window_time AS STRING), COUNT(*)
FROM TABLE(CUMULATE(TABLE events, DESCRIPTOR(ts), INTERVAL '20' MINUTE, INTERVAL '1' HOUR))
GROUP BY window_start, window_end, window_time;
