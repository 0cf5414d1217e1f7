-- ORDER BY .. LIMIT over a changelog: a global retracting Top-N. An update moving a row out of
-- the top 2 brings the next row in; a delete of a top row does too; an update into the top
-- pushes the last one out.
CREATE TABLE t (
  id INT,
  v INT
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.json',
  'format' = 'debezium-json'
);

SELECT id, v FROM t ORDER BY v DESC LIMIT 2;
