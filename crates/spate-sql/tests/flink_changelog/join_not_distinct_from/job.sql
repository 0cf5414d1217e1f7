-- LEFT JOIN on l.k IS NOT DISTINCT FROM r.k: unlike =, this key matches NULL to NULL (the join's
-- key is not null-filtered), so the NULL-key left row finds the NULL-key right row. (r's file opens
-- with 50000 skipped unparseable lines, so its rows reach the join after l's; see the README.)
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
  'format' = 'json',
  'json.ignore-parse-errors' = 'true'
);

SELECT l.id, l.k, r.rid
FROM l LEFT JOIN r ON l.k IS NOT DISTINCT FROM r.k;
