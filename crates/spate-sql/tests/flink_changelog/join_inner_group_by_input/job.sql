-- Inner join of an insert-only table (first) with a GROUP BY result, whose key is the join key
-- (JoinKeyContainsUniqueKey): the aggregate's +I joins as +I, each -U/+U it emits is forwarded as
-- -U[o, s], +U[o, s'] to every partner. (items's file opens with 50000 skipped unparseable lines,
-- so its rows reach the join after orders's; see the README.)
CREATE TABLE orders (
  oid INT,
  k STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/orders.json',
  'format' = 'json'
);

CREATE TABLE items (
  k STRING,
  v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/items.json',
  'format' = 'json',
  'json.ignore-parse-errors' = 'true'
);

SELECT o.oid, o.k, s.n, s.total
FROM orders o
JOIN (SELECT k, COUNT(*) AS n, SUM(v) AS total FROM items GROUP BY k) s
  ON o.k = s.k;
