-- ORDER BY without LIMIT in a subquery: Calcite drops it (it orders nothing below the top
-- query), so even an ORDER BY the rowtime is no temporal sort there: the rows come in arrival
-- order, late ones (ids 5 and 11) too.
SET 'pipeline.auto-watermark-interval' = '0';

CREATE TABLE t (
  id INT,
  v INT,
  ts TIMESTAMP(3),
  WATERMARK FOR ts AS ts - INTERVAL '2' SECOND
) WITH (
  'connector' = 'filesystem',
  'path' = '${DATA}/t.csv',
  'format' = 'csv',
  'csv.null-literal' = 'NULL'
);

SELECT id, ts FROM (SELECT * FROM t ORDER BY ts ASC) WHERE id <> 1;
