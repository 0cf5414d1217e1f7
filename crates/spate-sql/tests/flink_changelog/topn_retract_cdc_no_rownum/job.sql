-- Top-2 per category over a Debezium changelog without the rank (RetractableTopNFunction without
-- row numbers): a retracted row in the top 2 is -D and the row that moves into rank 2 is +I.
CREATE TABLE products (
  id INT,
  cat STRING,
  price INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/products.json',
  'format' = 'debezium-json'
);

SELECT id, cat, price FROM (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC) AS rn
  FROM products
) WHERE rn <= 2;
