-- Inner join of two Debezium changelogs, the left's changes read first (no output: no right rows
-- yet), then the right's: the join's rows follow both sides' current rows. Kinds are forwarded from
-- the row that arrived: the right's update is -U/+U of each joined row, its delete -D; rows the
-- left deleted or updated earlier are joined in their final state only. (r's file opens with 50000
-- skipped unparseable lines, so its rows reach the join after l's; see the README.)
CREATE TABLE l (
  id INT,
  k INT,
  v STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/l.json',
  'format' = 'debezium-json'
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
