-- EXPLAIN CHANGELOG_MODE of an unbounded GROUP BY into the print sink, which writes every
-- change with its before-image: the aggregate emits [I,UB,UA], as Flink 2.3's EXPLAIN shows
-- (GroupAggregate(groupBy=[user_id], select=[user_id, COUNT(*) AS EXPR$1], changelogMode=[I,UB,UA])).
CREATE TABLE events (user_id BIGINT, amount BIGINT, item STRING)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE counts (user_id BIGINT, cnt BIGINT) WITH ('connector' = 'print');
EXPLAIN CHANGELOG_MODE
INSERT INTO counts SELECT user_id, COUNT(*) FROM events GROUP BY user_id;
