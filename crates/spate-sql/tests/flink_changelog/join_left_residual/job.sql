-- LEFT JOIN with a residual predicate (r.w > l.v): a right row with the same key that fails the
-- residual is no partner, so the left row stays padded (+I[l, NULL] only); the first that passes
-- gives -D[l, NULL], +I[l, r]. The residual is part of the ON condition, not a filter after the
-- join. (r's file opens with 50000 skipped unparseable lines, so its rows reach the join after l's;
-- see the README.)
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
FROM l LEFT JOIN r ON l.k = r.k AND r.w > l.v;
