-- The 2 most frequent prices per category, with the rank, over a GROUP BY (cat, price): COUNT only
-- grows and the aggregate's upsert key (cat, price) holds the partition key, so Flink picks
-- UpdateFastStrategy and UpdatableTopNFunction, which reads the aggregate's new images alone: a
-- price whose count passes another's swaps ranks (-U/+U per rank), an update in place is -U/+U
-- of its own rank, a price pushed below rank 2 leaves through the shift.
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
) WHERE rn <= 2;
