-- A processing-time OVER aggregate over the row before each row and itself
-- (ProcTimeRowsBoundedPrecedingFunction): each row emitted as it arrives.
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

SELECT id, cat, price, SUM(price) OVER (PARTITION BY cat ORDER BY pt ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) AS s FROM sales;
