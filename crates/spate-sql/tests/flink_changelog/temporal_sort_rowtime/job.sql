-- ORDER BY an ascending rowtime without LIMIT: Flink's temporal sort (RowTimeSortOperator). Rows
-- wait until the watermark passes their time, then go out by (ts, v DESC), a NULL v last. A row
-- is late, and dropped, only when its time is not after the last time emitted (id 5 at 00:04 and
-- id 11 at 00:09); a row behind the watermark but after that time still goes out, at the next
-- watermark (id 4 at 00:06 and id 8 at 00:10). Watermarks follow every record; the rows' order
-- is the contract.
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

SELECT id, v, ts FROM t ORDER BY ts, v DESC;
