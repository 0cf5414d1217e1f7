-- LIMIT with OFFSET and no ORDER BY: rows 4 and 5 in arrival order, insert-only.
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

SELECT id, v FROM t LIMIT 2 OFFSET 3;
