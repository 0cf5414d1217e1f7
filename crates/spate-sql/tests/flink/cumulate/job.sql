-- CUMULATE window TVF (step 5 s, max size 15 s) per key, and one over all keys; watermark as in
-- tumble (2 s, per record).
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

CREATE TABLE cumulate_out (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  k STRING,
  cnt BIGINT,
  sum_v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/cumulate_out',
  'format' = 'json'
);

CREATE TABLE cumulate_all (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  cnt BIGINT,
  min_v INT,
  max_s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/cumulate_all',
  'format' = 'json'
);

INSERT INTO cumulate_out
SELECT window_start, window_end, k, COUNT(*), SUM(v)
FROM TABLE(CUMULATE(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '15' SECOND))
GROUP BY window_start, window_end, k;

INSERT INTO cumulate_all
SELECT window_start, window_end, COUNT(*), MIN(v), MAX(s)
FROM TABLE(CUMULATE(TABLE events, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '15' SECOND))
GROUP BY window_start, window_end;
