-- FULL OUTER JOIN, the left insert-only and first, the right a Debezium changelog: left rows come
-- out padded (+I[l, NULL]); a right row with no partner is +I[NULL, r]; a right row meeting an
-- unmatched left row gives -D[l, NULL], +I[l, r]; a right update is a retraction then an insertion
-- on the join, each emitted as -D/+I with the paddings in between (an outer join emits no -U/+U);
-- deleting a right row retracts its joined rows and brings back the left's padding, or retracts its
-- own +I[NULL, r]. (r's file opens with 50000 skipped unparseable lines, so its rows reach the join
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
  'format' = 'debezium-json',
  'debezium-json.ignore-parse-errors' = 'true'
);

SELECT l.id, l.k, l.v, r.rid, r.k AS rk, r.w
FROM l FULL OUTER JOIN r ON l.k = r.k;
