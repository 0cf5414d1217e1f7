-- LIMIT without ORDER BY: Flink's Limit, a rank without a sort key over one global task. The
-- first 3 rows in arrival order, insert-only (rows equal in order rank after those held).
CREATE TABLE t (
  id INT,
  v INT,
  ts TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.csv',
  'format' = 'csv',
  'csv.null-literal' = 'NULL'
);

SELECT id, v FROM t LIMIT 3;
