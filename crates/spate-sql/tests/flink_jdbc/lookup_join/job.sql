CREATE TABLE orders (order_id INT, customer_id INT, amount INT, proc_time AS PROCTIME())
  WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.csv', 'format' = 'csv', 'csv.null-literal' = '');
CREATE TABLE customers (id INT, name STRING, tier STRING, credit DECIMAL(8, 2))
  WITH ('connector' = 'jdbc', 'url' = '${PG_URL}', 'table-name' = 'customers',
    'username' = 'postgres', 'password' = '');
CREATE TABLE enriched_inner (order_id INT, customer_id INT, name STRING, tier STRING, credit DECIMAL(8, 2), amount INT)
  WITH ('connector' = 'jdbc', 'url' = '${PG_URL}', 'table-name' = 'enriched_inner',
    'username' = 'postgres', 'password' = '');
CREATE TABLE enriched_left (order_id INT, customer_id INT, name STRING, tier STRING, credit DECIMAL(8, 2), amount INT)
  WITH ('connector' = 'jdbc', 'url' = '${PG_URL}', 'table-name' = 'enriched_left',
    'username' = 'postgres', 'password' = '');
CREATE TABLE enriched_gold (order_id INT, customer_id INT, name STRING, tier STRING, credit DECIMAL(8, 2), amount INT)
  WITH ('connector' = 'jdbc', 'url' = '${PG_URL}', 'table-name' = 'enriched_gold',
    'username' = 'postgres', 'password' = '');
-- Inner: orders of customer 4 (no row) and of a NULL customer are dropped; customer 3's order
-- joins both of its rows.
INSERT INTO enriched_inner
SELECT o.order_id, o.customer_id, c.name, c.tier, c.credit, o.amount
FROM orders AS o JOIN customers FOR SYSTEM_TIME AS OF o.proc_time AS c ON o.customer_id = c.id;
-- Left: those orders are padded with NULLs instead.
INSERT INTO enriched_left
SELECT o.order_id, o.customer_id, c.name, c.tier, c.credit, o.amount
FROM orders AS o LEFT JOIN customers FOR SYSTEM_TIME AS OF o.proc_time AS c ON o.customer_id = c.id;
-- Left with the rest of ON filtering the rows found: a lookup whose rows all fail it pads too.
INSERT INTO enriched_gold
SELECT o.order_id, o.customer_id, c.name, c.tier, c.credit, o.amount
FROM orders AS o LEFT JOIN customers FOR SYSTEM_TIME AS OF o.proc_time AS c
  ON o.customer_id = c.id AND c.tier = 'gold';
