CREATE TABLE src (user_name STRING, v INT)
  WITH ('connector' = 'filesystem', 'path' = '${DATA}/events.csv', 'format' = 'csv', 'csv.null-literal' = '');
CREATE TABLE snk (user_name STRING, n BIGINT, total INT, top INT, PRIMARY KEY (user_name) NOT ENFORCED)
  WITH ('connector' = 'jdbc', 'url' = '${PG_URL}', 'table-name' = 'user_sums',
    'username' = 'postgres', 'password' = '');
-- bob's sum passes 20 (its row is deleted); cy's passes 20 and comes back under it; eve's
-- first value is NULL.
INSERT INTO snk
SELECT user_name, COUNT(*), SUM(v), MAX(v) FROM src GROUP BY user_name HAVING COALESCE(SUM(v), 0) < 20;
