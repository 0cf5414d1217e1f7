-- EXPLAIN CHANGELOG_MODE of ORDER BY a rowtime and a second column without LIMIT into an
-- append-only sink: Flink's TemporalSort (insert-only in and out), one engine operator of
-- parallelism 1 keyed by nothing; the hidden sort column v is sorted on, then projected away.
CREATE TABLE t (id INT, v INT, ts TIMESTAMP(3), WATERMARK FOR ts AS ts - INTERVAL '2' SECOND)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE out_t (id INT, ts TIMESTAMP(3))
  WITH ('connector' = 'blackhole');
EXPLAIN CHANGELOG_MODE
INSERT INTO out_t
SELECT id, ts FROM t ORDER BY ts, v DESC;
