-- Inner join of an insert-only table (first) with a Debezium changelog: an inner join forwards its
-- input's kinds, so a right update not touching the key is -U[l, r], +U[l, r'] (once per left
-- partner), an update moving the right row to another key retracts with -U and adds with +U against
-- the new key's partners, and a delete is -D. (r's file opens with 50000 skipped unparseable lines,
-- so its rows reach the join after l's; see the README.)
CREATE TABLE l (
  id INT,
  k INT,
  v STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/l.json',
  'format' = 'json'
);

CREATE TABLE r (
  rid INT,
  k INT,
  w STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/r.json',
  'format' = 'debezium-json',
  'debezium-json.ignore-parse-errors' = 'true'
);

SELECT l.id, l.k, l.v, r.rid, r.w
FROM l JOIN r ON l.k = r.k;
