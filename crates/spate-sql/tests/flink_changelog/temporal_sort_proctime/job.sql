-- ORDER BY PROCTIME() and a second column: Flink's ProcTimeSortOperator, which buffers the rows
-- of a millisecond and emits them by the second column on the next processing-time timer. Which
-- rows share a millisecond is not fixed, so the rows are compared as a multiset: every row
-- comes out once, insert-only, none dropped.
CREATE TABLE t (
  id INT,
  v INT,
  ts TIMESTAMP(3),
  pt AS PROCTIME()
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.csv',
  'format' = 'csv',
  'csv.null-literal' = 'NULL'
);

SELECT id, v FROM t ORDER BY pt, v;
