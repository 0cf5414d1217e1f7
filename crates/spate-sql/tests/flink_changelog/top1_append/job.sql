-- Top-1 per category over an insert-only input with the rank column (FastTop1Function): the first
-- row is +I, a strictly better one replaces it (-U/+U), an equal one changes nothing.
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
) WHERE rn = 1;
