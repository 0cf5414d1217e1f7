-- The dimension table (static while the job runs): customer 3 has two rows, 4 has none, and
-- tier and credit can be NULL. The three sink tables have no key: the jobs append.
CREATE TABLE customers (id INT, name TEXT, tier TEXT, credit NUMERIC(8, 2));
INSERT INTO customers VALUES (1, 'Ann', 'gold', 100.50), (2, 'Bob', 'silver', NULL),
  (3, 'Cy', 'gold', 7), (3, 'Cy2', 'bronze', 1), (5, 'Eve', NULL, 0);
CREATE TABLE enriched_inner (order_id INT, customer_id INT, name TEXT, tier TEXT, credit NUMERIC(8, 2), amount INT);
CREATE TABLE enriched_left (order_id INT, customer_id INT, name TEXT, tier TEXT, credit NUMERIC(8, 2), amount INT);
CREATE TABLE enriched_gold (order_id INT, customer_id INT, name TEXT, tier TEXT, credit NUMERIC(8, 2), amount INT);
