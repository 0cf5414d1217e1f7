CREATE TABLE orders (order_id INT, customer_id INT, amount INT, proc_time AS PROCTIME())
  WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.csv', 'format' = 'csv', 'csv.null-literal' = '');
CREATE TABLE customers (id INT, name STRING, tier STRING, credit DECIMAL(8, 2))
  WITH ('connector' = 'jdbc', 'url' = '${PG_URL}', 'table-name' = 'customers',
    'username' = 'postgres', 'password' = '');
CREATE TABLE tier_totals (tier STRING, region STRING, orders BIGINT, amount BIGINT,
    PRIMARY KEY (tier, region) NOT ENFORCED)
  WITH ('connector' = 'jdbc', 'url' = '${PG_URL}', 'table-name' = 'tier_totals',
    'username' = 'postgres', 'password' = '');
-- An updating query over a lookup join: each tier's row is upserted as its orders come; the
-- orders without a customer (or without a tier) count under 'none'.
INSERT INTO tier_totals
SELECT COALESCE(c.tier, 'none'), CASE WHEN o.amount >= 40 THEN 'big' ELSE 'small' END,
  COUNT(*), SUM(CAST(o.amount AS BIGINT))
FROM orders AS o LEFT JOIN customers FOR SYSTEM_TIME AS OF o.proc_time AS c ON o.customer_id = c.id
GROUP BY COALESCE(c.tier, 'none'), CASE WHEN o.amount >= 40 THEN 'big' ELSE 'small' END;
