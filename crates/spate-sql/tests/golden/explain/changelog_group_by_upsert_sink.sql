-- EXPLAIN CHANGELOG_MODE of an unbounded GROUP BY (Flink's GroupAggregate) into a sink that takes
-- upserts: the aggregate emits [I,UA], no before-images, as Flink 2.3's EXPLAIN shows for the
-- same statement (GroupAggregate(groupBy=[user_id], select=[user_id, COUNT(*) AS EXPR$1,
-- SUM(amount) AS EXPR$2, MAX(item) AS EXPR$3], changelogMode=[I,UA]) over an insert-only scan).
-- One row per user: the upsert key is user_id. The plan does not run yet: no engine graph.
CREATE TABLE events (user_id BIGINT, amount BIGINT, item STRING)
  WITH ('connector' = 'datagen', 'number-of-rows' = '10');
CREATE TABLE totals (user_id BIGINT, cnt BIGINT, total BIGINT, top_item STRING)
  WITH ('connector' = 'blackhole');
EXPLAIN CHANGELOG_MODE
INSERT INTO totals SELECT user_id, COUNT(*), SUM(amount), MAX(item) FROM events GROUP BY user_id;
