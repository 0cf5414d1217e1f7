CREATE TABLE src (id INT, customer STRING, amount DECIMAL(10, 2), ts TIMESTAMP(3), note STRING, paid BOOLEAN)
  WITH ('connector' = 'filesystem', 'path' = '${DATA}/orders.csv', 'format' = 'csv', 'csv.null-literal' = '');
-- noteText is not quoted in the statements Flink's PostgreSQL dialect writes, so it lands in notetext.
CREATE TABLE snk (id INT, customer STRING, amount DECIMAL(10, 2), doubled DECIMAL(11, 2), ts TIMESTAMP(3),
    noteText STRING, paid BOOLEAN)
  WITH ('connector' = 'jdbc', 'url' = '${PG_URL}', 'table-name' = 'orders_out',
    'username' = 'postgres', 'password' = '');
INSERT INTO snk
SELECT id, UPPER(customer), amount, CAST(amount * 2 AS DECIMAL(11, 2)), ts, note, paid
FROM src WHERE id <> 3;
