-- LEFT JOIN of an insert-only table (first) with a Debezium changelog whose primary key (rid) is
-- not the join key (HasUniqueKey). The first right partner turns +I[l, NULL] into -D[l, NULL],
-- +I[l, r]; a second partner adds +I[l, r2]. A retraction from the right keeps its kind (-U for an
-- update's before-image, -D for a delete) and re-pads (+I[l, NULL]) when it removes the left row's
-- last partner; the update's after-image is always +I, after -D[l, NULL] when the left row was
-- padded. So an update of a sole partner is -U[l, r], +I[l, NULL], -D[l, NULL], +I[l, r'], and of
-- one of two partners -U[l, r], +I[l, r']. (r's file opens with 50000 skipped unparseable lines, so
-- its rows reach the join after l's; see the README.)
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
  w STRING,
  PRIMARY KEY (rid) NOT ENFORCED
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/r.json',
  'format' = 'debezium-json',
  'debezium-json.ignore-parse-errors' = 'true'
);

SELECT l.id, l.k, l.v, r.rid, r.w
FROM l LEFT JOIN r ON l.k = r.k;
