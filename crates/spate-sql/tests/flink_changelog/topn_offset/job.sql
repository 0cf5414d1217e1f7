-- Ranks 2 to 3 only (rn BETWEEN 2 AND 3 with the rank column): rank 1's changes are not
-- emitted, a row shifted from rank 1 to 2 arrives as an update of rank 2.
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

SELECT * FROM (
  SELECT id, cat, price, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC) AS rn
  FROM sales
) WHERE rn BETWEEN 2 AND 3;
