-- Processing-time windows still open when a bounded input ends: Flink 2.3 drops them (a window
-- TVF and a legacy group window over PROCTIME() of a bounded filesystem table write nothing),
-- while the rows themselves pass (`passthrough`).
SET 'execution.checkpointing.interval' = '1s';

CREATE TABLE rows_in (
  k STRING,
  v INT,
  pt AS PROCTIME()
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/rows.json',
  'format' = 'json'
);

CREATE TABLE tvf_counts (
  k STRING,
  c BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/tvf_counts',
  'format' = 'json'
);

CREATE TABLE legacy_counts (
  k STRING,
  c BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/legacy_counts',
  'format' = 'json'
);

CREATE TABLE passthrough (
  k STRING,
  v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${OUT}/passthrough',
  'format' = 'json'
);

INSERT INTO tvf_counts
SELECT k, COUNT(*) FROM TABLE(TUMBLE(TABLE rows_in, DESCRIPTOR(pt), INTERVAL '1' HOUR))
GROUP BY k, window_start, window_end;

INSERT INTO legacy_counts
SELECT k, COUNT(*) FROM rows_in GROUP BY k, TUMBLE(pt, INTERVAL '1' HOUR);

INSERT INTO passthrough
SELECT k, v FROM rows_in;
