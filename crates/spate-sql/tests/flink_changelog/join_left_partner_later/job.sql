-- LEFT JOIN of two insert-only tables, the left rows first: each left row is emitted NULL-padded
-- (+I[l, NULL]); the first right partner of a left row retracts the padded row and inserts the
-- joined one (-D[l, NULL], +I[l, r]); a second partner only adds +I[l, r2]. A right row with no
-- left partner, and a NULL key on either side, emit nothing beyond the padding (a NULL-key left row
-- stays padded). (r's file opens with 50000 skipped unparseable lines, so its rows reach the join
-- after l's; see the README.)
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
  'format' = 'json',
  'json.ignore-parse-errors' = 'true'
);

SELECT l.id, l.k, l.v, r.rid, r.w
FROM l LEFT JOIN r ON l.k = r.k;
