-- A Top-N whose rank end is a column (rn <= n, Flink's VariableRankRange): each category's end
-- is the n of its first row and stays so; a later row's different n is ignored (id 5's 3 for a,
-- id 8's 5 for b).
CREATE TABLE sales (
  id INT,
  cat STRING,
  price INT,
  n BIGINT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/sales.csv',
  'format' = 'csv'
);

SELECT * FROM (
  SELECT id, cat, price, n, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC) AS rn
  FROM sales
) WHERE rn <= n;
