-- ROW_NUMBER beside an aggregate: ROW_NUMBER's frame is ROWS UNBOUNDED PRECEDING, so it shares
-- a window only with an aggregate over that frame (with the default RANGE frame Flink refuses the
-- pair: "All aggregates must be computed on the same window"). Rows of one time are numbered one
-- by one, in arrival order. Row 10 is late and dropped.
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE ev (
  id INT,
  cat STRING,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/ev.csv',
  'format' = 'csv'
);

SELECT id, ROW_NUMBER() OVER w AS rn, COUNT(*) OVER (PARTITION BY cat ORDER BY ts ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS c FROM ev WINDOW w AS (PARTITION BY cat ORDER BY ts);
