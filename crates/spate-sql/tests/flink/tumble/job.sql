-- TUMBLE window TVF with the common aggregates; watermark 2 s behind the largest event time,
-- emitted on every record (auto-watermark-interval 0) so which records are late is deterministic.
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

CREATE TABLE tumble_out (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  k STRING,
  cnt BIGINT,
  cnt_v BIGINT,
  sum_v INT,
  avg_v INT,
  avg_d DOUBLE,
  sum_m DECIMAL(38, 2),
  avg_m DECIMAL(38, 6),
  min_v INT,
  max_d DOUBLE,
  distinct_u BIGINT,
  big_v BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/tumble_out',
  'format' = 'json'
);

INSERT INTO tumble_out
SELECT
  window_start,
  window_end,
  k,
  COUNT(*),
  COUNT(v),
  SUM(v),
  AVG(v),
  AVG(d),
  SUM(m),
  AVG(m),
  MIN(v),
  MAX(d),
  COUNT(DISTINCT u),
  COUNT(*) FILTER (WHERE v > 3)
FROM TABLE(TUMBLE(TABLE events, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;
