-- The session time zone (`table.local-time-zone`) across the 2026 fall-back change of
-- America/Los_Angeles (2026-11-01 02:00 PDT → 01:00 PST; 09:00 UTC): TIMESTAMP_LTZ ↔ TIMESTAMP
-- and STRING casts (the overlap's 01:30 and the spring gap's 02:30), DATE_FORMAT, FROM_UNIXTIME,
-- UNIX_TIMESTAMP, TO_TIMESTAMP_LTZ, HOUR and CAST to DATE of a TIMESTAMP_LTZ, the zone-less
-- TO_TIMESTAMP; 1-day and 1-hour TUMBLE windows over a TIMESTAMP_LTZ rowtime (local midnight, a
-- 25-hour day, the repeated 01:00 hour) and a total over the hourly windows, a 2-hour HOP and a 1-day CUMULATE with 6-hour steps
-- over the change; then a 1-hour TUMBLE in Australia/Adelaide (UTC+10:30 in summer, so hours
-- start at :30 UTC). Not Asia/Kolkata: Flink 2.3 loses windows of a
-- TIMESTAMP_LTZ window aggregate in a zone without daylight saving time whose offset is not a
-- multiple of the window (FLINK-38075; see tests/flink/README.md).
SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';
SET 'table.local-time-zone' = 'America/Los_Angeles';

CREATE TABLE events (
  id INT,
  k STRING,
  epoch_ms BIGINT,
  local_ts TIMESTAMP(3),
  s STRING,
  ts AS TO_TIMESTAMP_LTZ(epoch_ms, 3),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/events.json',
  'format' = 'json'
);

CREATE TABLE conversions (
  id INT,
  ltz TIMESTAMP_LTZ(3),
  ltz_text STRING,
  ltz_as_ts TIMESTAMP(3),
  ts_as_ltz TIMESTAMP_LTZ(3),
  ts_as_ltz_text STRING,
  string_as_ltz_text STRING,
  formatted STRING,
  from_unix STRING,
  from_unix_zone STRING,
  unix_default BIGINT,
  unix_pattern BIGINT,
  ltz_from_string STRING,
  zoneless STRING,
  hour_of_ltz BIGINT,
  date_of_ltz STRING,
  day_floor STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/conversions',
  'format' = 'json'
);

CREATE TABLE daily (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  window_time TIMESTAMP_LTZ(3),
  window_time_text STRING,
  n BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/daily',
  'format' = 'json'
);

CREATE TABLE hourly (
  k STRING,
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  n BIGINT,
  ids STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/hourly',
  'format' = 'json'
);

CREATE TABLE hop_la (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  n BIGINT,
  first_id INT,
  last_id INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/hop_la',
  'format' = 'json'
);

CREATE TABLE cumulate_la (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  window_time_text STRING,
  n BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/cumulate_la',
  'format' = 'json'
);

CREATE TABLE hourly_total (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  window_time_text STRING,
  keys_seen BIGINT,
  n BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/hourly_total',
  'format' = 'json'
);

CREATE TABLE hourly_adelaide (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  window_time_text STRING,
  n BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/hourly_adelaide',
  'format' = 'json'
);

INSERT INTO conversions
SELECT
  id,
  ts,
  CAST(ts AS STRING),
  CAST(ts AS TIMESTAMP(3)),
  CAST(local_ts AS TIMESTAMP_LTZ(3)),
  CAST(CAST(local_ts AS TIMESTAMP_LTZ(3)) AS STRING),
  CAST(CAST(s AS TIMESTAMP_LTZ(3)) AS STRING),
  DATE_FORMAT(ts, 'yyyy-MM-dd HH:mm:ss.SSS'),
  FROM_UNIXTIME(epoch_ms / 1000),
  FROM_UNIXTIME(epoch_ms / 1000, 'HH:mm z Z'),
  UNIX_TIMESTAMP(s),
  UNIX_TIMESTAMP(s, 'yyyy-MM-dd HH:mm:ss'),
  CAST(TO_TIMESTAMP_LTZ(s) AS STRING),
  CAST(TO_TIMESTAMP(s) AS STRING),
  HOUR(ts),
  CAST(CAST(ts AS DATE) AS STRING),
  CAST(FLOOR(ts TO DAY) AS STRING)
FROM events;

INSERT INTO daily
SELECT window_start, window_end, window_time, CAST(window_time AS STRING), COUNT(*)
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' DAY))
GROUP BY window_start, window_end, window_time;

INSERT INTO hourly
SELECT k, window_start, window_end, COUNT(*), LISTAGG(CAST(id AS STRING))
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY k, window_start, window_end;

INSERT INTO hourly_total
SELECT window_start, window_end, CAST(window_time AS STRING), COUNT(*), SUM(n)
FROM (
  SELECT k, window_start, window_end, window_time, COUNT(*) AS n
  FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' HOUR))
  GROUP BY k, window_start, window_end, window_time
)
GROUP BY window_start, window_end, window_time;

INSERT INTO hop_la
SELECT window_start, window_end, COUNT(*), MIN(id), MAX(id)
FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '1' HOUR, INTERVAL '2' HOUR))
WHERE id BETWEEN 4 AND 9
GROUP BY window_start, window_end;

INSERT INTO cumulate_la
SELECT window_start, window_end, CAST(window_time AS STRING), COUNT(*)
FROM TABLE(CUMULATE(TABLE events, DESCRIPTOR(ts), INTERVAL '6' HOUR, INTERVAL '1' DAY))
GROUP BY window_start, window_end, window_time;

SET 'table.local-time-zone' = 'Australia/Adelaide';

INSERT INTO hourly_adelaide
SELECT window_start, window_end, CAST(window_time AS STRING), COUNT(*)
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '1' HOUR))
GROUP BY window_start, window_end, window_time;
