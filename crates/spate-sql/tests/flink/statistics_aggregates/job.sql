-- STDDEV_POP, STDDEV_SAMP (and STDDEV), VAR_POP, VAR_SAMP (and VARIANCE) in window aggregates:
-- every window shape and the legacy group window, over TINYINT, INT, BIGINT, FLOAT, DOUBLE and
-- DECIMAL arguments, with NULLs, an all-NULL key, one-row groups, DISTINCT and FILTER. Flink
-- computes them in DOUBLE (Welford) and casts to the argument's type, so the DOUBLE columns
-- pin the last bits (and the order in which HOP/CUMULATE slices and sessions merge).
-- ONE_PHASE: under the default (AUTO) Flink pre-aggregates TUMBLE/HOP/CUMULATE windows in
-- partial states it flushes as the watermark crosses window boundaries and merges them; a
-- DOUBLE result then depends in its last bits on where those flushes fell, which Spate does not
-- reproduce. One phase merges only slices and sessions, in an order Spate follows.
SET 'table.optimizer.agg-phase-strategy' = 'ONE_PHASE';
SET 'execution.checkpointing.interval' = '1s';
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE ev (
  ts TIMESTAMP(3),
  k STRING,
  i INT,
  ti TINYINT,
  b BIGINT,
  f FLOAT,
  d DOUBLE,
  m DECIMAL(10, 2),
  w DECIMAL(20, 9),
  WATERMARK FOR ts AS ts - INTERVAL '1' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/ev.json',
  'format' = 'json'
);

CREATE TABLE tumble_stats (
  window_start TIMESTAMP(3),
  k STRING,
  sp_i INT,
  ss_i INT,
  vp_i INT,
  vs_i INT,
  sp_ti TINYINT,
  vs_ti TINYINT,
  sp_b BIGINT,
  vs_b BIGINT,
  sp_f FLOAT,
  vs_f FLOAT,
  sp_d DOUBLE,
  ss_d DOUBLE,
  vp_d DOUBLE,
  vs_d DOUBLE,
  sp_m DECIMAL(38, 6),
  vs_m DECIMAL(38, 6),
  sp_w DECIMAL(38, 9),
  vp_w DECIMAL(38, 9),
  types STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/tumble_stats',
  'format' = 'json'
);

CREATE TABLE shapes (
  shape STRING,
  window_start TIMESTAMP(3),
  window_end TIMESTAMP(3),
  k STRING,
  n BIGINT,
  sp_d DOUBLE,
  vs_d DOUBLE,
  ss_i INT,
  vp_m DECIMAL(38, 6)
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/shapes',
  'format' = 'json'
);

CREATE TABLE legacy_stats (
  window_start TIMESTAMP(3),
  k STRING,
  sd_d DOUBLE,
  var_d DOUBLE,
  sd_i INT,
  var_m STRING,
  sd_distinct_i INT,
  var_filtered_d DOUBLE,
  cast_text STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/legacy_stats',
  'format' = 'json'
);

INSERT INTO tumble_stats
SELECT
  window_start,
  k,
  STDDEV_POP(i),
  STDDEV_SAMP(i),
  VAR_POP(i),
  VAR_SAMP(i),
  STDDEV_POP(ti),
  VAR_SAMP(ti),
  STDDEV_POP(b),
  VAR_SAMP(b),
  STDDEV_POP(f),
  VAR_SAMP(f),
  STDDEV_POP(d),
  STDDEV(d),
  VAR_POP(d),
  VARIANCE(d),
  STDDEV_POP(m),
  VAR_SAMP(m),
  STDDEV_POP(w),
  VAR_POP(w),
  CONCAT(CAST(STDDEV_SAMP(m) AS STRING), ' ', CAST(VAR_POP(f) AS STRING), ' ', CAST(VAR_SAMP(ti) AS STRING))
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end, k;

INSERT INTO shapes
SELECT 'hop', window_start, window_end, k, COUNT(d), STDDEV_POP(d), VAR_SAMP(d), STDDEV_SAMP(i), VAR_POP(m)
FROM TABLE(HOP(TABLE ev, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '15' SECOND))
GROUP BY window_start, window_end, k;

INSERT INTO shapes
SELECT 'cumulate', window_start, window_end, k, COUNT(d), STDDEV_POP(d), VAR_SAMP(d), STDDEV_SAMP(i), VAR_POP(m)
FROM TABLE(CUMULATE(TABLE ev, DESCRIPTOR(ts), INTERVAL '5' SECOND, INTERVAL '20' SECOND))
GROUP BY window_start, window_end, k;

INSERT INTO shapes
SELECT 'session', window_start, window_end, k, COUNT(d), STDDEV_POP(d), VAR_SAMP(d), STDDEV_SAMP(i), VAR_POP(m)
FROM TABLE(SESSION(TABLE ev PARTITION BY k, DESCRIPTOR(ts), INTERVAL '2' SECOND))
GROUP BY window_start, window_end, k;

INSERT INTO shapes
SELECT 'global', window_start, window_end, '*', COUNT(d), STDDEV_POP(d), VAR_SAMP(d), STDDEV_SAMP(i), VAR_POP(m)
FROM TABLE(TUMBLE(TABLE ev, DESCRIPTOR(ts), INTERVAL '10' SECOND))
GROUP BY window_start, window_end;

INSERT INTO shapes
SELECT 'legacy_hop', HOP_START(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND), HOP_END(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND),
  k, COUNT(d), STDDEV_POP(d), VAR_SAMP(d), STDDEV_SAMP(i), VAR_POP(m)
FROM ev
-- Key b's window 00:05-00:20 has a VAR_POP(m) of exactly 1875000031000000.25 as a double,
-- whose shortest digits tie: Java writes ...0.2, Spate (Rust's shortest digits) ...0.3.
WHERE k <> 'b'
GROUP BY HOP(ts, INTERVAL '5' SECOND, INTERVAL '15' SECOND), k;

INSERT INTO shapes
SELECT 'legacy_session', SESSION_START(ts, INTERVAL '2' SECOND), SESSION_END(ts, INTERVAL '2' SECOND),
  k, COUNT(d), STDDEV_POP(d), VAR_SAMP(d), STDDEV_SAMP(i), VAR_POP(m)
FROM ev
GROUP BY SESSION(ts, INTERVAL '2' SECOND), k;

INSERT INTO legacy_stats
SELECT
  TUMBLE_START(ts, INTERVAL '10' SECOND),
  k,
  STDDEV(d),
  VARIANCE(d),
  STDDEV_POP(i),
  CAST(VAR_SAMP(m) AS STRING),
  STDDEV_POP(DISTINCT i),
  VAR_POP(d) FILTER (WHERE i > 1),
  CAST(STDDEV_POP(i * 1.5) AS STRING)
FROM ev
GROUP BY TUMBLE(ts, INTERVAL '10' SECOND), k;
