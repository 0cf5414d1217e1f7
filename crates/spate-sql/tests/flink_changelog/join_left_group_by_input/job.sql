-- LEFT JOIN of an insert-only table (first) with a GROUP BY result on its key
-- (JoinKeyContainsUniqueKey): the aggregate's +I replaces the padding (-D[o, NULL], +I[o, s]); each
-- of its updates is -U[o, s], +I[o, NULL], -D[o, NULL], +I[o, s'] (the retraction keeps the -U
-- kind, the padding comes back in between, the new row is +I). When HAVING rejects the new result
-- (b's SUM reaches 30) only the aggregate's -U passes the filter, and the padding stays: -U[o, s],
-- +I[o, NULL]. (items's file opens with 50000 skipped unparseable lines, so its rows reach the join
-- after orders's; see the README.)
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
LEFT JOIN (SELECT k, COUNT(*) AS n, SUM(v) AS total FROM items GROUP BY k HAVING SUM(v) < 25) s
  ON o.k = s.k;
