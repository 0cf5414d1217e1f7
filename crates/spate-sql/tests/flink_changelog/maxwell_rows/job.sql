-- A Maxwell topic read as a changelog, row by row: an insert, an update whose "old" holds only
-- the changed field, and a delete.
CREATE TABLE products (
  id INT,
  name STRING,
  weight DOUBLE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/products.json',
  'format' = 'maxwell-json'
);

SELECT id, name, weight FROM products;
