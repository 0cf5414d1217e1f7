-- Inner join on several equalities, two of them on expressions (l.a = r.a, l.b + 1 = r.b,
-- LOWER(l.s) = r.s): all three are join keys (hash-partitioned on [a, b + 1, LOWER(s)] against [a,
-- b, s]); a row matches only when all three are equal, and a NULL in any key never matches. (r's
-- file opens with 50000 skipped unparseable lines, so its rows reach the join after l's; see
-- the README.)
CREATE TABLE l (
  id INT,
  a INT,
  b INT,
  s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/l.json',
  'format' = 'json'
);

CREATE TABLE r (
  rid INT,
  a INT,
  b INT,
  s STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/r.json',
  'format' = 'json',
  'json.ignore-parse-errors' = 'true'
);

SELECT l.id, r.rid, l.a, l.b, r.b AS rb, l.s, r.s AS rs
FROM l JOIN r ON l.a = r.a AND l.b + 1 = r.b AND LOWER(l.s) = r.s;
