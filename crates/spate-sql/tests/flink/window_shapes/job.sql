SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE ev (
  ts TIMESTAMP(3),
  k STRING,
  v INT,
  WATERMARK FOR ts AS ts - INTERVAL '3' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/ev.json',
  'format' = 'json'
);

CREATE TEMPORARY VIEW big AS SELECT ts, k, v * 10 AS v10 FROM ev WHERE v > 2 AND k IS NOT NULL;

CREATE TABLE tumble_offset (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  k STRING,
  cnt BIGINT,
  total INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/tumble_offset',
  'format' = 'json'
);

CREATE TABLE hop_odd (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  cnt BIGINT,
  total INT,
  mx INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/hop_odd',
  'format' = 'json'
);

CREATE TABLE tumble_rows (
  ts TIMESTAMP(3),
  k STRING,
  v INT,
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  window_time TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/tumble_rows',
  'format' = 'json'
);

CREATE TABLE hop_rows (
  v INT,
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/hop_rows',
  'format' = 'json'
);

CREATE TABLE view_agg (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  k STRING,
  s INT,
  wt TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/view_agg',
  'format' = 'json'
);

CREATE TABLE cum_odd (
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  cnt BIGINT,
  total INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/cum_odd',
  'format' = 'json'
);

INSERT INTO tumble_offset
SELECT window_start, window_end, k, COUNT(*), SUM(v)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND, INTERVAL '3' SECOND))
GROUP BY window_start, window_end, k;

INSERT INTO hop_odd
SELECT window_start, window_end, COUNT(*), SUM(v), MAX(v)
FROM TABLE(HOP(TABLE ev, DESCRIPTOR(ts), INTERVAL '4' SECOND, INTERVAL '12' SECOND))
GROUP BY window_start, window_end;

INSERT INTO tumble_rows
SELECT CAST(ts AS TIMESTAMP(3)), k, v, window_start, window_end, window_time
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '5' SECOND));

INSERT INTO hop_rows
SELECT v, window_start, window_end
FROM TABLE(HOP(TABLE ev, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '10' SECOND))
WHERE v < 5;

INSERT INTO view_agg
SELECT window_start, window_end, k, SUM(v10), window_time
FROM TABLE(TUMBLE(TABLE big, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, window_time, k;

INSERT INTO cum_odd
SELECT window_start, window_end, COUNT(*), SUM(v)
FROM TABLE(CUMULATE(TABLE ev, DESCRIPTOR(ts), INTERVAL '4' SECOND, INTERVAL '12' SECOND))
GROUP BY window_start, window_end;
