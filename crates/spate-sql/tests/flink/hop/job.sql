-- HOP window TVF (slide 5 s, size 10 s) per key. Watermark 2 s behind, emitted on every record
-- (auto-watermark-interval 0), so which records are late is deterministic. A late record still
-- counts in those of its windows that have not fired yet (00:00:08 b: in [5 s, 15 s) only).
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

CREATE TABLE hop_out (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  k STRING,
  cnt BIGINT,
  sum_v INT,
  max_v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/hop_out',
  'format' = 'json'
);

INSERT INTO hop_out
SELECT window_start, window_end, k, COUNT(*), SUM(v), MAX(v)
FROM TABLE(HOP(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;
