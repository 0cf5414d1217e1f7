-- RIGHT JOIN of two insert-only tables, the right (preserved) rows first: +I[NULL, r] for each; the
-- first left partner gives -D[NULL, r], +I[l, r], a further one only +I[l2, r]; a left row with no
-- partner emits nothing. The output columns put the left's first. (l's file opens with 50000
-- skipped unparseable lines, so its rows reach the join after r's; see the README.)
CREATE TABLE l (
  id INT,
  k INT,
  v STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/l.json',
  'format' = 'json',
  'json.ignore-parse-errors' = 'true'
);

CREATE TABLE r (
  rid INT,
  k INT,
  w STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/r.json',
  'format' = 'json'
);

SELECT l.id, l.v, r.rid, r.k, r.w
FROM l RIGHT JOIN r ON l.k = r.k;
