-- The dimension table as in lookup_join (static while the job runs); the sink's key is
-- (tier, region), two columns.
CREATE TABLE customers (id INT, name TEXT, tier TEXT, credit NUMERIC(8, 2));
INSERT INTO customers VALUES (1, 'Ann', 'gold', 100.50), (2, 'Bob', 'silver', NULL),
  (3, 'Cy', 'gold', 7), (3, 'Cy2', 'bronze', 1), (5, 'Eve', NULL, 0);
CREATE TABLE tier_totals (tier TEXT, region TEXT, orders BIGINT NOT NULL, amount BIGINT,
  PRIMARY KEY (tier, region));
