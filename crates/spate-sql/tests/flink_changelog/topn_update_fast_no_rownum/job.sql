-- UpdatableTopNFunction without the rank column: an update of a row held is -U/+U of it, a row
-- entering deletes the row it pushes out (-D) and is inserted (+I).
CREATE TABLE sales (
  id INT,
  cat STRING,
  price INT,
  ts TIMESTAMP(3)
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/sales.csv',
  'format' = 'csv'
);

SELECT cat, price, n FROM (
  SELECT cat, price, n, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY n DESC) AS rn
  FROM (SELECT cat, price, COUNT(*) AS n FROM sales GROUP BY cat, price)
) WHERE rn <= 2;
