-- EXPLAIN CHANGELOG_MODE: every node is insert-only ([I]); upsert keys come from the tables'
-- primary keys. The join meets each order with one user at most (its key user_id holds the
-- users' primary key), so order_id alone stays unique through the join and the projection.
CREATE TABLE users (user_id BIGINT, name STRING, PRIMARY KEY (user_id) NOT ENFORCED)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE orders (order_id BIGINT, user_id BIGINT, amount INT, PRIMARY KEY (order_id) NOT ENFORCED)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE enriched (order_id BIGINT, amount INT, name STRING) WITH ('connector' = 'blackhole');
EXPLAIN CHANGELOG_MODE
INSERT INTO enriched
SELECT o.order_id, o.amount, u.name FROM orders AS o JOIN users AS u ON o.user_id = u.user_id
WHERE o.amount > 0;
