-- A view whose query orders by the rowtime: Flink expands a view as a top query, so its ORDER
-- BY stays (unlike a subquery's or a WITH item's, sort_in_subquery_dropped) and the rows read
-- from it are temporally sorted, late ones dropped. The rows' order is the contract.
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

CREATE VIEW sorted AS SELECT * FROM t ORDER BY ts;

SELECT id, ts FROM sorted;
