-- LEFT JOIN whose left (preserved) side is a Debezium changelog, read after the insert-only right:
-- a left row with a partner is +I[l, r], without one +I[l, NULL]; updating or deleting a left row
-- retracts its rows with -D (the preserved side's retractions are always -D, never -U) and the
-- update's new image is +I, joined or padded. (l's file opens with 50000 skipped unparseable lines,
-- so its rows reach the join after r's; see the README.)
CREATE TABLE l (
  id INT,
  k INT,
  v STRING
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/l.json',
  'format' = 'debezium-json',
  'debezium-json.ignore-parse-errors' = 'true'
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

SELECT l.id, l.k, l.v, r.rid, r.w
FROM l LEFT JOIN r ON l.k = r.k;
