-- Deduplication keeping each category's last row on processing time (ORDER BY pt DESC, rn <= 1):
-- ProcTimeDeduplicateKeepLastRowFunction, +I then -U/+U per later row.
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
  SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY pt DESC) AS rn
  FROM sales
) WHERE rn <= 1;
