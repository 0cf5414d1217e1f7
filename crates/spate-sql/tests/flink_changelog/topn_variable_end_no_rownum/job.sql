-- A variable rank end without the rank column: rows entering a category's top n are +I, rows
-- pushed out -D; the end is each category's first n.
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

SELECT id, cat, price FROM (
  SELECT id, cat, price, n, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC) AS rn
  FROM sales
) WHERE rn <= n;
