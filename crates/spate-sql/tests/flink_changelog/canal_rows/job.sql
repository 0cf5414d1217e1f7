-- A Canal topic read as a changelog, row by row: a batch INSERT of two rows, a batch UPDATE
-- whose "old" holds only the fields that changed (the others keep their new values in the
-- before-image), a DDL event (type CREATE, no rows), and a DELETE.
CREATE TABLE products (
  id INT,
  name STRING,
  weight DOUBLE
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/products.json',
  'format' = 'canal-json'
);

SELECT id, name, weight FROM products;
