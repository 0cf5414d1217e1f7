-- The standard form: OFFSET 1 ROWS FETCH NEXT 3 ROWS ONLY without ORDER BY, rows 2 to 4.
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

SELECT id, v FROM t OFFSET 1 ROWS FETCH NEXT 3 ROWS ONLY;
