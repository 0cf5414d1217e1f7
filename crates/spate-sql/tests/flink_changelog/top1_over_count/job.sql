-- The most frequent price per category over a GROUP BY (cat, price): COUNT only grows, the input's
-- upsert key (cat, price) holds the partition key, so Flink picks UpdateFastStrategy and, for a
-- Top-1, FastTop1Function over the aggregate's +U alone.
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

SELECT * FROM (
  SELECT cat, price, n, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY n DESC) AS rn
  FROM (SELECT cat, price, COUNT(*) AS n FROM sales GROUP BY cat, price)
) WHERE rn = 1;
