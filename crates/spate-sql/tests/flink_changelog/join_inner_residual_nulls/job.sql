-- Inner join of two insert-only tables on an equality plus a residual predicate (l.v > r.w). A NULL
-- key never matches, on either side, even against another NULL; a pair that fails the residual is
-- dropped. An inner join of insert-only inputs emits only +I. (r's file opens with 50000 skipped
-- unparseable lines, so its rows reach the join after l's; see the README.)
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

SELECT l.id, l.k, l.v, r.rid, r.w
FROM l JOIN r ON l.k = r.k AND l.v > r.w;
