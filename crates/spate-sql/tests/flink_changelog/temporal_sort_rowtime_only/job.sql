-- ORDER BY the rowtime alone: rows of one time go out in arrival order (ids 3 and 6 at 00:09;
-- 7, 9 and 10 at 00:12); late rows are dropped as in temporal_sort_rowtime. The rows' order is
-- the contract.
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE t (
  id INT,
  v INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.csv',
  'format' = 'csv',
  'csv.null-literal' = 'NULL'
);

SELECT id, ts FROM t ORDER BY ts;
