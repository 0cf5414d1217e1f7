-- SESSION window TVF with a 3 s gap: per key (PARTITION BY k) and global (no partition);
-- watermark 2 s behind, per record.
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

CREATE TABLE session_by_key (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  k STRING,
  cnt BIGINT,
  sum_v INT,
  min_s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/session_by_key',
  'format' = 'json'
);

CREATE TABLE session_global (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  cnt BIGINT,
  distinct_k BIGINT,
  max_v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/session_global',
  'format' = 'json'
);

INSERT INTO session_by_key
SELECT window_start, window_end, k, COUNT(*), SUM(v), MIN(s)
FROM TABLE(SESSION(TABLE events PARTITION BY k, DESCRIPTOR(ts), INTERVAL '3' SECOND))
GROUP BY window_start, window_end, k;

INSERT INTO session_global
SELECT window_start, window_end, COUNT(*), COUNT(DISTINCT k), MAX(v)
FROM TABLE(SESSION(TABLE events, DESCRIPTOR(ts), INTERVAL '3' SECOND))
GROUP BY window_start, window_end;
