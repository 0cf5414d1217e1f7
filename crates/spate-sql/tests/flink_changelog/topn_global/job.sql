-- A global Top-3 (no PARTITION BY) by price ascending then id descending, with the rank:
-- one partition, every shift of rank visible.
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
  SELECT id, cat, price, ROW_NUMBER() OVER (ORDER BY price ASC, id DESC) AS rk
  FROM sales
) WHERE rk < 4;
