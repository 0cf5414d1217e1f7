-- Top-2 per category without the rank column (AppendOnlyTopNFunction without row numbers): a
-- row entering deletes the row it pushes out (-D) and inserts itself (+I); nothing for rows that
-- only move within the top 2.
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
  SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC) AS rn
  FROM sales
) WHERE rn <= 2;
