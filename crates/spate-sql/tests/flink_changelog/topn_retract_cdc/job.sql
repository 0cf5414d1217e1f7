-- Top-2 per category over a Debezium changelog, with the rank (RetractableTopNFunction): an
-- update is a retraction then an insertion; a retracted row's successors move up (-U/+U per
-- rank) and the row that enters rank 2 from below arrives as +U or +I; ties keep arrival order.
CREATE TABLE products (
  id INT,
  cat STRING,
  price INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/products.json',
  'format' = 'debezium-json'
);

SELECT * FROM (
  SELECT id, cat, price, ROW_NUMBER() OVER (PARTITION BY cat ORDER BY price DESC) AS rn
  FROM products
) WHERE rn <= 2;
