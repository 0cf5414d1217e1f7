-- Deduplication keeping each category's first row on processing time (ORDER BY pt ASC, rn = 1):
-- ProcTimeDeduplicateKeepFirstRowFunction, insert-only.
CREATE TABLE sales (
  id INT,
  cat STRING,
  price INT,
  ts TIMESTAMP(3),
  pt AS PROCTIME()
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/sales.csv',
  'format' = 'csv'
);

SELECT id, cat, price FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY pt ASC) AS rn
  FROM sales
) WHERE rn = 1;
