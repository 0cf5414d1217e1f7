-- Duplicates: the same left row twice (LEFT JOIN, first) and the same right row twice (a Debezium
-- changelog): each left copy is padded (+I[l, NULL] twice); the first right copy replaces both
-- paddings (-D, +I per copy), the second adds +I[l, r] per left copy (4 joined rows); deleting one
-- right copy retracts two (-D twice, the padding does not come back), deleting the other retracts
-- two and re-pads both. (r's file opens with 50000 skipped unparseable lines, so its rows reach the
-- join after l's; see the README.)
CREATE TABLE l (
  id INT,
  k INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/l.json',
  'format' = 'json'
);

CREATE TABLE r (
  rid INT,
  k INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/r.json',
  'format' = 'debezium-json',
  'debezium-json.ignore-parse-errors' = 'true'
);

SELECT l.id, l.k, r.rid
FROM l LEFT JOIN r ON l.k = r.k;
