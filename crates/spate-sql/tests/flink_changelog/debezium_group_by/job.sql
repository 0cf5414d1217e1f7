-- A Debezium topic (here a file of its events) read as a changelog table: snapshot reads and
-- creates insert, an update retracts its before-image and inserts its after-image (here one
-- that moves a product to another category), a delete retracts; the GROUP BY over it
-- follows, and deletes category 'a' when its last product goes. Events carry Debezium's other
-- members (source, ts_ms), which are ignored.
CREATE TABLE products (
  id INT,
  name STRING,
  weight DOUBLE,
  category STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/products.json',
  'format' = 'debezium-json'
);

SELECT category, COUNT(*) AS n, SUM(weight) AS w, MAX(name) AS top
FROM products
GROUP BY category;
