-- Top-2 per category by price over an insert-only input (Flink's AppendOnlyTopNFunction with
-- row numbers): a row entering the top 2 shifts the rows below it (-U/+U per rank), the row
-- pushed out of rank 2 is retracted by the shift; ties keep arrival order (a later equal price
-- ranks below).
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
) WHERE rn <= 2;
