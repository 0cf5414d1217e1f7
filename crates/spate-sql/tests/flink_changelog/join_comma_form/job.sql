-- The comma form FROM l, r WHERE l.k = r.k AND l.v < r.w is the same regular inner join as JOIN ...
-- ON (the WHERE's equality becomes the join key, the rest its residual; a filter on one side only,
-- l.v > 0, is pushed below the join). (r's file opens with 50000 skipped unparseable lines, so its
-- rows reach the join after l's; see the README.)
CREATE TABLE l (
  id INT,
  k INT,
  v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/l.json',
  'format' = 'json'
);

CREATE TABLE r (
  rid INT,
  k INT,
  w INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/r.json',
  'format' = 'json',
  'json.ignore-parse-errors' = 'true'
);

SELECT l.id, r.rid, l.k, l.v, r.w
FROM l, r
WHERE l.k = r.k AND l.v < r.w AND l.v > 0;
