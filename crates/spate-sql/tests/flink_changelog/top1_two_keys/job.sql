-- FLINK-40368 (Nexmark q9's shape): a Top-1 without the rank column ordered by a non-time column
-- then the time column. Flink 2.3 takes it for a keep-first deduplication and infers it
-- insert-only, so FastTop1Function emits its updates as +U without the -U. Spate emits the
-- correct changelog, -U before every +U; flink.txt holds what Flink printed.
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
  SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC, ts ASC) AS rn
  FROM sales
) WHERE rn <= 1;
